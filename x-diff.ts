import { startDifferential } from './tests/support/federation/differential.js';
import { severalKeysFixture } from './tests/support/federation/fixtures/several-keys.js';

const d = await startDifferential(severalKeysFixture);
for (const q of [process.argv[2] ?? '{ picks { title } }'])
  console.log(JSON.stringify(await d.run({ name: 'x', query: q }), null, 1));
await d.stop();
