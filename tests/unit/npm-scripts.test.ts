import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };

/** The files a script's command names: every word that ends like a source or shell file. */
function filesNamedBy(command: string): string[] {
  return command.split(/\s+/).filter((word) => /^[\w./-]+\.(ts|js|mjs|cjs|sh|json)$/.test(word));
}

/** The production build's entry points (tsconfig.build.json), as they lie in dist/. */
const built = (JSON.parse(readFileSync(new URL('tsconfig.build.json', root), 'utf8')) as { files: string[] }).files.map(
  (file) => `dist/${file.replace(/\.ts$/, '.js')}`,
);

/** `npm run migrate` once pointed at a file that did not exist; no script may again. */
describe('package.json scripts', () => {
  it.each(Object.entries(scripts))('%s runs files that exist', (_name, command) => {
    // dist/ exists after `npm run build` only: a file there must be one the build makes, from a source that exists.
    const missing = filesNamedBy(command).filter((file) =>
      file.startsWith('dist/')
        ? !built.includes(file) || !existsSync(new URL(file.replace(/^dist\//, '').replace(/\.js$/, '.ts'), root))
        : !existsSync(new URL(file, root)),
    );
    expect(missing).toEqual([]);
  });

  it('name at least the entry points they are for', () => {
    expect(filesNamedBy(scripts.start ?? '')).toEqual(['scripts/start.ts']);
    expect(filesNamedBy(scripts.migrate ?? '')).toEqual(['scripts/migrate.ts']);
    expect(filesNamedBy('vitest run tests/fuzz.test.ts --config codegen.ts')).toEqual(['tests/fuzz.test.ts', 'codegen.ts']);
  });
});
