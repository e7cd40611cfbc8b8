import type { Viewer } from '../lib/kernel/tokens.js';
import type { TouchedEntities } from '../lib/kernel/touched-entities.js';
import type { EventWriter } from '../lib/realtime/direct-event-stream.js';

/** The gateway's per-request context: who is asking. Subgraphs build their own from the forwarded token. */
export interface GatewayContext {
  readonly viewer: Viewer | null;
  /** What this request's mutations changed, as the subgraphs reported it (for the response cache). */
  readonly touched: TouchedEntities;
  /** Set for operations over a WebSocket: closes it so the client reconnects (and resumes). */
  readonly connection?: { restart(reason: string): void };
  /** Set for a subscription over a WebSocket: writes its events straight to the client (direct-event-stream.ts). */
  readonly eventWriter?: EventWriter;
}
