import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { SerializedResults } from './serialized-results.js';

/**
 * The extension of graphql-transport-ws that lets one `next` frame carry the same payload for
 * several operations of a socket: `{"type":"next","id":"a","ids":["b","c"],"payload":{...}}` is
 * `next` with that payload for a, b and c. A client opts in with `{"mergedNext": true}` in its
 * connection_init payload; the gateway's upstream connections do (gateway/upstream-connection.ts).
 */
export const MERGED_NEXT_PARAM = 'mergedNext';

type SendCallback = (error?: Error) => void;

/** A `next` frame as graphql-ws's server writes it: JSON.stringify({ id, type, payload }). */
const NEXT_ID_START = '{"id":"';
const NEXT_AFTER_ID = '","type":"next","payload":';

/** Below this many bytes waiting in a socket, a send is acknowledged at once (see coalesceSends). */
const EARLY_ACK_BELOW_BYTES = 1024 * 1024;

/**
 * Makes every socket of `server` gather the frames sent during one turn of the event loop
 * into a single write, and lets an operation send its next event without waiting for the
 * previous write.
 *
 * - Batching: the TCP socket is corked at the first send of a turn and uncorked in the check
 *   phase (setImmediate), so the turn's frames leave in one writev instead of one system call
 *   each. Profiles showed a writev per frame as the largest single cost of both the messages
 *   subgraph and the gateway under fan-out.
 * - Early acknowledgement: graphql-ws's server waits for each frame's write callback before it
 *   sends the operation's next event, which allows one event per operation per turn however
 *   many are waiting. While less than EARLY_ACK_BELOW_BYTES wait to be sent (ws's
 *   `bufferedAmount`: the TCP socket's buffer and frames still being compressed), the
 *   callback runs at once instead, so a loaded server sends every waiting event of a turn in
 *   one write: the busier it is, the larger and cheaper its batches. Above that, the callback waits for
 *   the write as before: a slow reader holds back its own operations only, and their upstream
 *   queues are bounded (upstream-connection.ts, message-stream.ts).
 * - Shared serialization: a `next` payload that is a stand-in of `serializedResults`
 *   (lib/serialized-results.ts) is replaced by the result's JSON, serialized once.
 * - Merging (on sockets for which `mergesNext` is true): consecutive `next` frames with the
 *   same payload become one frame naming every operation (MERGED_NEXT_PARAM). Only consecutive
 *   frames merge, so nothing is reordered.
 *
 * When the loop is idle a turn is short, so a lone frame waits microseconds. Register before
 * graphql-ws's `useServer`, whose connection listener then sends through the wrapped `send`.
 */
export function coalesceSends(
  server: WebSocketServer,
  options: { mergesNext?: (socket: WebSocket) => boolean; serializedResults?: SerializedResults } = {},
): void {
  const { mergesNext = () => false, serializedResults } = options;
  server.on('connection', (webSocket: WebSocket, request: IncomingMessage) => {
    // The upgrade request's socket is the TCP socket ws writes its frames to.
    const tcp = request.socket;
    const send = webSocket.send.bind(webSocket) as (data: string, callback?: SendCallback) => void;
    /** The run of consecutive `next` frames with one payload, not yet sent. */
    let run: { payload: string; ids: string[]; callbacks: SendCallback[] } | null = null;
    let corked = false;

    const sendRun = () => {
      if (run === null) return;
      const { payload, ids, callbacks } = run;
      run = null;
      const [first, ...rest] = ids;
      const frame =
        rest.length === 0
          ? `${NEXT_ID_START}${first}${NEXT_AFTER_ID}${payload}}`
          : `{"id":${JSON.stringify(first)},"ids":${JSON.stringify(rest)},"type":"next","payload":${payload}}`;
      send(frame, (error) => {
        for (const callback of callbacks) callback(error);
      });
    };
    const flush = () => {
      sendRun();
      corked = false;
      tcp.uncork();
    };

    webSocket.send = ((data: unknown, optionsOrCallback?: unknown, maybeCallback?: SendCallback) => {
      let callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback) as SendCallback | undefined;
      if (tcp.destroyed) return send(data as string, callback);
      if (!corked) {
        corked = true;
        tcp.cork();
        setImmediate(flush);
      }
      if (callback !== undefined && webSocket.bufferedAmount < EARLY_ACK_BELOW_BYTES) {
        callback();
        callback = undefined;
      }
      const next = typeof data === 'string' ? parseNextFrame(data) : null;
      if (next === null) {
        sendRun();
        send(data as string, callback);
        return;
      }
      const serialized = serializedResults?.take(webSocket, next.payload);
      const payload = serialized ?? next.payload;
      if (!mergesNext(webSocket)) {
        send(serialized === undefined ? (data as string) : `${NEXT_ID_START}${next.id}${NEXT_AFTER_ID}${payload}}`, callback);
        return;
      }
      if (run !== null && run.payload === payload) {
        run.ids.push(next.id);
        if (callback !== undefined) run.callbacks.push(callback);
        return;
      }
      sendRun();
      run = { payload, ids: [next.id], callbacks: callback === undefined ? [] : [callback] };
    }) as WebSocket['send'];
  });
}

/** The id and payload JSON of a graphql-ws `next` frame, without parsing the payload; null for other frames. */
function parseNextFrame(frame: string): { id: string; payload: string } | null {
  if (!frame.startsWith(NEXT_ID_START)) return null;
  const idEnd = frame.indexOf('"', NEXT_ID_START.length);
  if (idEnd < 0 || !frame.startsWith(NEXT_AFTER_ID, idEnd)) return null;
  const id = frame.slice(NEXT_ID_START.length, idEnd);
  // Ids with escapes would need JSON decoding; graphql-ws clients use plain ones.
  if (id.includes('\\')) return null;
  return { id, payload: frame.slice(idEnd + NEXT_AFTER_ID.length, -1) };
}
