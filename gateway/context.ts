import type { Viewer } from '../lib/kernel/tokens.js';
import type { TouchedEntities } from '../lib/kernel/touched-entities.js';

/** The gateway's per-request context: who is asking. Subgraphs build their own from the forwarded token. */
export interface GatewayContext {
  readonly viewer: Viewer | null;
  /** What this request's mutations changed, as the subgraphs reported it (for the response cache). */
  readonly touched: TouchedEntities;
  /** Set for operations over a WebSocket (whose refusals carry no HTTP status); absent over HTTP. */
  readonly transport?: 'websocket';
}
