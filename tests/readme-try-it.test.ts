import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { usePlatform } from './support/platform.js';

/** The ```sh blocks of README.md's "Try it" section, in order. */
function tryItBlocks(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Try it\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

const platform = usePlatform();

/**
 * The README's terminal tour, run as written against a platform on a free port: every block
 * but the last (`kill %1`, which the reader types once the message showed up) in one bash.
 */
describe('README "Try it"', () => {
  it('registers, logs in, runs Me and a GET, and the live subscription prints the message Grace sends', {
    timeout: 60_000,
  }, async () => {
    const blocks = tryItBlocks();
    expect(blocks.at(-1)?.trim()).toBe('kill %1');
    const origin = new URL(platform.gatewayUrl).host;
    const script = ['set -euo pipefail', ...blocks.slice(0, -1)].join('\n').replaceAll('localhost:4000', origin);
    // Ada's background stream writes to a pipe of its own (fd 3): sharing stdout, its events
    // could land between an answer's body and the newline `-w '\n'` writes after it.
    const backgroundJobs = script.match(/' &$/gm) ?? [];
    expect(backgroundJobs).toHaveLength(1);
    const separated = script.replace(/' &$/m, "' >&3 &");
    const bash = spawn('bash', ['-c', separated], { detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const stdout = bash.stdio[1] as Readable;
    const stderr = bash.stdio[2] as Readable;
    const streamPipe = bash.stdio[3] as Readable;
    let output = '';
    let stream = '';
    stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    streamPipe.on('data', (chunk: Buffer) => {
      stream += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => bash.once('exit', resolve));
    try {
      // The script ends after sendMessage; Ada's stream (its background job) goes on until killed.
      expect(await exited).toBe(0);
      await new Promise<void>((resolve, reject) => {
        const check = () => (stream.includes('Hi Ada!') ? resolve() : undefined);
        streamPipe.on('data', check);
        check();
        setTimeout(() => reject(new Error(`no message on Ada's stream:\n${stream}\n${output}`)), 20_000).unref();
      });
    } finally {
      try {
        process.kill(-(bash.pid as number), 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    const answers = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { data?: Record<string, unknown>; errors?: unknown });
    expect(answers.map((answer) => answer.errors)).toEqual(answers.map(() => undefined));
    expect(answers.map((answer) => Object.keys(answer.data ?? {})[0])).toEqual([
      'register',
      'register',
      'me',
      'searchUsers',
      'sendMessage',
    ]);
    expect(answers[2]?.data).toMatchObject({ me: { username: 'ada', displayName: 'Ada Lovelace' } });
    expect(answers[3]?.data).toEqual({ searchUsers: { nodes: [{ username: 'grace', displayName: 'Grace Hopper' }] } });
    const event = /^event: next\ndata: (.*)$/m.exec(stream)?.[1];
    expect(JSON.parse(event ?? '{}')).toEqual({ data: { messageAdded: { body: 'Hi Ada!', sender: { username: 'grace' } } } });
  });
});
