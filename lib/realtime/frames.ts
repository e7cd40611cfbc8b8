/**
 * The graphql-transport-ws frames this platform writes or reads itself, outside graphql-ws, and
 * the protocol's one extension, in one place.
 *
 * **Merged `next`** (an extension of graphql-transport-ws): one frame carries the same payload
 * for several operations of a socket, `{"id":"a","ids":["b","c"],"type":"next","payload":{…}}`
 * being `next` with that payload for a, b and c. A client opts in with `{"mergedNext": true}` in
 * its `connection_init` payload; a server writes merged frames only to such clients. The
 * gateway's upstream connections opt in (gateway/upstream-connection.ts); the subgraphs' socket
 * servers merge (lib/service/subgraph-websockets.ts, lib/realtime/batched-socket.ts). Plain
 * graphql-ws clients never see one.
 */

/** The `connection_init` payload field by which a client accepts merged `next` frames. */
export const MERGED_NEXT_PARAM = 'mergedNext';

/** `next` for operation `id`, byte for byte as graphql-ws's server writes it: JSON.stringify({ id, type, payload }). */
export function nextFrame(id: string, payloadJson: string): string {
  return `{"id":${JSON.stringify(id)},"type":"next","payload":${payloadJson}}`;
}

/** `next` with one payload for every operation of `ids` (at least one): a plain `next` for one. */
export function mergedNextFrame(ids: readonly string[], payloadJson: string): string {
  const [first, ...rest] = ids;
  if (first === undefined) throw new Error('a next frame names at least one operation');
  if (rest.length === 0) return nextFrame(first, payloadJson);
  return `{"id":${JSON.stringify(first)},"ids":${JSON.stringify(rest)},"type":"next","payload":${payloadJson}}`;
}

/** A frame a server sends, as a client that accepts merged `next` frames reads it. */
export interface ServerFrame {
  readonly type: string;
  readonly id?: string;
  readonly ids?: readonly string[];
  readonly payload?: unknown;
}

/** The frame in `data`, or null when it is not a JSON object with a string `type`. */
export function parseServerFrame(data: string): ServerFrame | null {
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  return typeof frame === 'object' && frame !== null && typeof (frame as { type?: unknown }).type === 'string'
    ? (frame as ServerFrame)
    : null;
}

/** The operations a `next` frame is for: its `id`, then the merged `ids`. */
export function operationIdsOf(frame: ServerFrame): readonly string[] {
  return [...(frame.id === undefined ? [] : [frame.id]), ...(frame.ids ?? [])];
}

/** The frames a client and server exchange to keep a socket alive. */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';
