/**
 * Shim of `k6/execution` (default export): `vu.idInTest`, `vu.iterationInInstance` (and their
 * siblings for one k6 instance and one scenario) and `test.abort(reason)`. As in k6, VU
 * information is refused in the init context; any other property throws, so a script that
 * starts using more of k6/execution fails here instead of reading `undefined`.
 */
import { abort, requireStage, TestAbort, VU_STAGES, vu } from '../vu-runtime.js';
import { strict } from './strict.js';

const execution = strict('exec', {
  vu: strict('exec.vu', {
    get idInTest() {
      requireStage(VU_STAGES, 'getting VU information in the init context is not supported');
      return vu.id;
    },
    get idInInstance() {
      requireStage(VU_STAGES, 'getting VU information in the init context is not supported');
      return vu.id;
    },
    get iterationInInstance() {
      requireStage(VU_STAGES, 'getting VU information in the init context is not supported');
      return Math.max(0, vu.iteration);
    },
    get iterationInScenario() {
      requireStage(VU_STAGES, 'getting VU information in the init context is not supported');
      return Math.max(0, vu.iteration);
    },
  }),
  test: strict('exec.test', {
    /** @param {string} [reason] */
    abort(reason = '') {
      requireStage(VU_STAGES, 'aborting the test in the init context is not supported');
      abort.reason = String(reason);
      throw new TestAbort(abort.reason);
    },
  }),
});

export default execution;
