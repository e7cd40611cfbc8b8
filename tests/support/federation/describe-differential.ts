import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedOfOurs } from '../../../tools/federation-diff/answers.js';
import { type Differential, type Fixture, startDifferential } from './differential.js';

/**
 * One test per case of `fixture`: ours, with the response cache cold, warm and off, answers
 * what stock Apollo answers (or the documented fix of the case).
 */
export function describeDifferential(fixture: Fixture): void {
  describe(`federation differential: ${fixture.name}`, () => {
    let differential: Differential;
    beforeAll(async () => {
      differential = await startDifferential(fixture);
    });
    afterAll(() => differential?.stop());

    for (const testCase of fixture.cases) {
      it(testCase.name, async () => {
        const answers = await differential.run(testCase);
        const expected = expectedOfOurs(testCase, answers.stock);
        expect({ cold: answers.cold, warm: answers.warm, off: answers.off }).toStrictEqual({
          cold: expected,
          warm: expected,
          off: expected,
        });
        // Cold means cold: no earlier case put this answer in the cache; and an answer without
        // errors is cached, so warm means warm.
        expect(answers.xCache.cold).not.toBe('HIT');
        if (answers.xCache.cold === 'MISS' && answers.cold.errors === undefined) expect(answers.xCache.warm).toBe('HIT');
      });
    }
  });
}
