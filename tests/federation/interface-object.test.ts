import { describeDifferential } from '../support/federation/describe-differential.js';
import { interfaceObjectFixture } from '../support/federation/fixtures/interface-object.js';

describeDifferential(interfaceObjectFixture);
