import { describeDifferential } from '../support/federation/describe-differential.js';
import { nullKeysFixture } from '../support/federation/fixtures/null-keys.js';

describeDifferential(nullKeysFixture);
