import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Imports point down the layers (docs/ARCHITECTURE.md): lib/kernel ← lib/infra ← lib/realtime ←
 * lib/service ← gateway/, subgraphs/ ← platform/ (the composition root) ← scripts/, tools/, bench/,
 * tests/. A file may import its own layer and those below it, never one above.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const LAYERS = ['lib/kernel', 'lib/infra', 'lib/realtime', 'lib/service', 'gateway', 'subgraphs', 'platform'];

function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

function layerOf(path: string): number {
  return LAYERS.findIndex((layer) => path === layer || path.startsWith(`${layer}/`));
}

/** Every relative import of `file`, as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) =>
    relative(ROOT, resolve(ROOT, dirname(file), match[1] as string)),
  );
}

describe('layers', () => {
  const files = LAYERS.flatMap(filesUnder);

  it('has files in every layer', () => {
    for (const layer of LAYERS) expect(files.some((file) => layerOf(file) === LAYERS.indexOf(layer))).toBe(true);
  });

  it('imports only its own layer and the layers below', () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${file} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('keeps lib/ free of the processes above it and the gateway free of subgraph code', () => {
    const crossing = files.flatMap((file) =>
      importsOf(file)
        .filter(
          (target) =>
            (file.startsWith('gateway/') && target.startsWith('subgraphs/')) ||
            (file.startsWith('subgraphs/') && target.startsWith('gateway/')) ||
            !['lib/', 'gateway/', 'subgraphs/', 'platform/'].some((top) => target.startsWith(top)),
        )
        .filter((target) => !target.endsWith('.graphql') && !target.endsWith('.json'))
        .map((target) => `${file} → ${target}`),
    );
    expect(crossing).toEqual([]);
  });
});
