import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSupergraph, watchSupergraph } from '../../gateway/supergraph-source.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { until } from '../support/until.js';

const logger = createLogger({ level: 'silent', pretty: false });
const directory = mkdtempSync(join(tmpdir(), 'chitlaq-source-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('supergraph sources', () => {
  it('reads a watched file again when it is rewritten or replaced by a rename, as editors and `npm run compose` do', async () => {
    const file = join(directory, 'supergraph.graphql');
    writeFileSync(file, 'one');
    expect(await readSupergraph({ file })).toBe('one');
    const texts: string[] = [];
    const watch = watchSupergraph({ file }, { watch: true, logger, onText: (text) => texts.push(text) });
    try {
      writeFileSync(file, 'two');
      await until(() => texts.at(-1) === 'two', 5000);
      writeFileSync(join(directory, 'other.graphql'), 'not watched');
      writeFileSync(join(directory, 'next.tmp'), 'three');
      renameSync(join(directory, 'next.tmp'), file);
      await until(() => texts.at(-1) === 'three', 5000);
      expect(texts).not.toContain('not watched');
    } finally {
      watch.close();
    }
  });

  it('polls a URL with If-None-Match, and a failed poll keeps the gateway going (nothing is handed on)', async () => {
    let body = 'first';
    let status = 200;
    const conditional: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      conditional.push(request.headers['if-none-match']);
      const etag = `"${body}"`;
      if (status !== 200) {
        response.writeHead(status).end();
      } else if (request.headers['if-none-match'] === etag) {
        response.writeHead(304).end();
      } else {
        response.writeHead(200, { etag }).end(body);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/supergraph`;
    const texts: string[] = [];
    const watch = watchSupergraph({ url, pollIntervalMs: 100 }, { watch: true, logger, onText: (text) => texts.push(text) });
    try {
      await until(() => texts.length === 1, 5000);
      await until(() => conditional.includes('"first"'), 5000);
      expect(texts).toEqual(['first']);
      status = 503;
      await watch.check();
      body = 'second';
      status = 200;
      await until(() => texts.length === 2, 5000);
      expect(texts).toEqual(['first', 'second']);
    } finally {
      watch.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
