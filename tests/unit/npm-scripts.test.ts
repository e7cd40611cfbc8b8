import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };

/** The files a script's command names: every word that ends like a source or shell file. */
function filesNamedBy(command: string): string[] {
  return command.split(/\s+/).filter((word) => /^[\w./-]+\.(ts|js|mjs|cjs|sh|json)$/.test(word));
}

/** `npm run migrate` once pointed at a file that did not exist; no script may again. */
describe('package.json scripts', () => {
  it.each(Object.entries(scripts))('%s runs files that exist', (_name, command) => {
    const missing = filesNamedBy(command).filter((file) => !existsSync(new URL(file, root)));
    expect(missing).toEqual([]);
  });

  it('name at least the entry points they are for', () => {
    expect(filesNamedBy(scripts.start ?? '')).toEqual(['scripts/start.ts']);
    expect(filesNamedBy(scripts.migrate ?? '')).toEqual(['scripts/migrate.ts']);
    expect(filesNamedBy('vitest run tests/fuzz.test.ts --config codegen.ts')).toEqual(['tests/fuzz.test.ts', 'codegen.ts']);
  });
});
