import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  initialResumePosition,
  RESUME_CURSOR_ALIAS,
  resumableFieldsOf,
  resumableOperation,
  resumePositionOf,
} from '../../gateway/resumable-subscriptions.js';

const resumable = new Map([['messageAdded', 'after']]);

describe('resumable subscription fields', () => {
  it('reads the resume-after tag off the supergraph: messageAdded resumes with `after`', () => {
    const sdl = readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8');
    expect([...resumableFieldsOf(sdl)]).toEqual([['messageAdded', 'after']]);
  });

  it('sets the resume argument from $__resumeAfter and selects the id under an alias, dropping a variable only it used', () => {
    const operation = resumableOperation(
      'subscription Sub__messages__0($c:ID,$a:ID){messageAdded(conversationId:$c,after:$a){body sender{__typename id}}}',
      resumable,
    );
    expect(operation?.query).toBe(
      [
        'subscription Sub__messages__0($c: ID, $__resumeAfter: ID) {',
        '  messageAdded(conversationId: $c, after: $__resumeAfter) {',
        '    body',
        '    sender {',
        '      __typename',
        '      id',
        '    }',
        `    ${RESUME_CURSOR_ALIAS}: id`,
        '  }',
        '}',
      ].join('\n'),
    );
    expect(operation?.variableNames).toEqual(['c', '__resumeAfter']);
    // The client's own `after` is where the first subscribe starts.
    expect(initialResumePosition(operation as NonNullable<typeof operation>, { c: 'c1', a: 'm7' })).toBe('m7');
  });

  it('keeps a variable the operation still uses elsewhere, and takes a literal `after` or none as the start', () => {
    const literal = resumableOperation('subscription{messageAdded(after:"m1"){id}}', resumable);
    expect(literal && initialResumePosition(literal, {})).toBe('m1');
    const none = resumableOperation('subscription{alias:messageAdded{id}}', resumable);
    expect(none && initialResumePosition(none, {})).toBeNull();
    expect(none?.responseName).toBe('alias');
    const shared = resumableOperation('subscription($a:ID){messageAdded(conversationId:$a,after:$a){id}}', resumable);
    expect(shared?.variableNames).toEqual(['a', '__resumeAfter']);
  });

  it('is null for a field without a resume argument, and reads each event position', () => {
    expect(resumableOperation('subscription($c:ID!){typing(conversationId:$c){typing}}', resumable)).toBeNull();
    const operation = resumableOperation('subscription{messageAdded{id}}', resumable);
    if (operation === null) throw new Error('not resumable');
    expect(resumePositionOf(operation, { data: { messageAdded: { id: 'm9', [RESUME_CURSOR_ALIAS]: 'm9' } } })).toBe('m9');
    expect(resumePositionOf(operation, { data: null })).toBeUndefined();
  });
});
