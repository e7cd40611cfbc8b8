import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../gateway/server.js';
import { selectsViewerDependentField, viewerDependentFields } from '../../lib/kernel/viewer-dependence.js';

const supergraphSdl = readFileSync(SUPERGRAPH_FILE, 'utf8');
const schema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
const tagged = viewerDependentFields(supergraphSdl);

describe('viewer-dependent fields', () => {
  it('finds the fields the subgraphs tag in the composed supergraph', () => {
    expect([...tagged].sort()).toEqual([
      'Conversation.unreadCount',
      'Post.likedByViewer',
      'Query.conversation',
      'Query.conversations',
      'Query.feed',
      'Query.me',
      'Query.onlineUsers',
      'User.email',
      'User.isFollowedByViewer',
    ]);
  });

  it('tells a viewer-independent subscription from one that selects a tagged field, through fragments', () => {
    const independent = parse('subscription { messageAdded { id body sender { username online } conversation { title } } }');
    const direct = parse('subscription { messageAdded { id conversation { unreadCount } } }');
    const viaFragment = parse(`
      subscription { messageAdded { sender { ...Who } } }
      fragment Who on User { username isFollowedByViewer }
    `);
    const aliased = parse('subscription { messageAdded { sender { contact: email } } }');
    expect(selectsViewerDependentField(schema, independent, tagged)).toBe(false);
    expect(selectsViewerDependentField(schema, direct, tagged)).toBe(true);
    expect(selectsViewerDependentField(schema, viaFragment, tagged)).toBe(true);
    expect(selectsViewerDependentField(schema, aliased, tagged)).toBe(true);
  });
});
