import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/kernel/logger.js';
import { currentRequestId, requestIdFrom, runWithRequestId } from '../../lib/kernel/request-id.js';
import { LogLines } from '../support/log-lines.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it('keeps an id of 1-128 safe characters', () => {
    for (const id of ['a', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'Root=1-5759e988-bd862e3fe1be46a994272793', 'x'.repeat(128)]) {
      expect(requestIdFrom(id)).toBe(id);
    }
  });

  it('makes a UUID for none, an empty, a long, or an unsafe one', () => {
    for (const header of [undefined, null, '', 'x'.repeat(129), 'two words', 'a\nb', 'é', '"quoted"', ['a', 'b']]) {
      expect(requestIdFrom(header)).toMatch(UUID);
    }
  });
});

describe('the logger', () => {
  it('adds the current request id to every line, its own fields kept', async () => {
    const logs = new LogLines();
    const logger = createLogger({ level: 'info', pretty: false, stream: logs }).child({ component: 'test' });
    logger.info({ schema: 'users' }, 'outside');
    await runWithRequestId('req-1', async () => {
      await Promise.resolve();
      expect(currentRequestId()).toBe('req-1');
      logger.warn({ schema: 'posts' }, 'inside');
    });
    expect(currentRequestId()).toBeUndefined();
    expect(logs.lines.map(({ msg, schema, requestId, component }) => ({ msg, schema, requestId, component }))).toEqual([
      { msg: 'outside', schema: 'users', requestId: undefined, component: 'test' },
      { msg: 'inside', schema: 'posts', requestId: 'req-1', component: 'test' },
    ]);
  });
});
