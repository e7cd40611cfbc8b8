import { describeDifferential } from '../support/federation/describe-differential.js';
import { typenameFixture } from '../support/federation/fixtures/typename.js';

describeDifferential(typenameFixture);
