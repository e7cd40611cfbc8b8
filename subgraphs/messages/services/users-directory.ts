/**
 * Asks the users subgraph which user ids exist, through its federation `_entities` field: the
 * messages subgraph never reads the users schema (ARCHITECTURE.md, "Data ownership"), and an
 * entity lookup is the same contract the gateway itself uses. The viewer's token is forwarded.
 */
export interface UsersDirectory {
  /** The subset of `ids` that are existing users. */
  existingUserIds(ids: readonly string[], viewerToken: string): Promise<Set<string>>;
}

import { currentRequestId, REQUEST_ID_HEADER } from '../../../lib/kernel/request-id.js';
import { SIGNATURE_HEADER, signContent } from '../../../lib/kernel/request-signature.js';

const ENTITIES = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id } } }';

/** `signingSecret` signs each lookup as the gateway signs its fetches (lib/kernel/request-signature.ts). */
export function createUsersDirectory(usersUrl: string, signingSecret: string): UsersDirectory {
  return {
    async existingUserIds(ids, viewerToken) {
      const request = JSON.stringify({
        query: ENTITIES,
        variables: { representations: ids.map((id) => ({ __typename: 'User', id })) },
      });
      const requestId = currentRequestId();
      const response = await fetch(usersUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${viewerToken}`,
          [SIGNATURE_HEADER]: signContent(signingSecret, request),
          // The request this lookup serves, so the users subgraph's lines carry its id too.
          ...(requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId }),
        },
        body: request,
      });
      const body = (await response.json()) as { data?: { _entities: Array<{ id: string } | null> }; errors?: unknown[] };
      if (!response.ok || body.data === undefined || (body.errors?.length ?? 0) > 0) {
        throw new Error(`users subgraph lookup failed (HTTP ${response.status}): ${JSON.stringify(body.errors ?? [])}`);
      }
      return new Set(body.data._entities.filter((entity) => entity !== null).map((entity) => entity.id));
    },
  };
}
