import { describeDifferential } from '../support/federation/describe-differential.js';
import { abstractTypesFixture } from '../support/federation/fixtures/abstract-types.js';
import { accessControlFixture } from '../support/federation/fixtures/access-control.js';
import { contextFixture } from '../support/federation/fixtures/context.js';
import { interfaceObjectFixture } from '../support/federation/fixtures/interface-object.js';
import { nullKeysFixture } from '../support/federation/fixtures/null-keys.js';
import { operationsFixture } from '../support/federation/fixtures/operations.js';
import { progressiveOverrideFixture } from '../support/federation/fixtures/progressive-override.js';
import { requiresProvidesFixture } from '../support/federation/fixtures/requires-provides.js';
import { severalKeysFixture } from '../support/federation/fixtures/several-keys.js';
import { typenameFixture } from '../support/federation/fixtures/typename.js';

/**
 * The differential suite over fixture supergraphs (docs/federation.md): every case through
 * stock Apollo and through ours, the response cache cold, warm and off. One file, so the
 * gateway's modules load once for all fixtures.
 */
for (const fixture of [
  typenameFixture,
  interfaceObjectFixture,
  nullKeysFixture,
  requiresProvidesFixture,
  abstractTypesFixture,
  operationsFixture,
  progressiveOverrideFixture,
  contextFixture,
  severalKeysFixture,
  accessControlFixture,
]) {
  describeDifferential(fixture);
}
