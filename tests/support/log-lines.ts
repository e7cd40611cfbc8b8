import { Writable } from 'node:stream';

/** One pino JSON line, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/**
 * The log lines of a test platform (startTestPlatform's `logs` option): every process of it
 * writes to one pino logger, so this sees the gateway's and the subgraphs' lines alike.
 */
export class LogLines extends Writable {
  readonly lines: LogLine[] = [];
  #partial = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const text = this.#partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) if (part !== '') this.lines.push(JSON.parse(part) as LogLine);
    done();
  }

  /** The lines whose fields include `fields`. */
  matching(fields: Record<string, unknown>): LogLine[] {
    return this.lines.filter((line) => Object.entries(fields).every(([key, value]) => line[key] === value));
  }
}
