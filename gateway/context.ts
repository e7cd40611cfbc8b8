import type { Viewer } from '../lib/tokens.js';

/** The gateway's per-request context: who is asking. Subgraphs build their own from the forwarded token. */
export interface GatewayContext {
  readonly viewer: Viewer | null;
  /** Set for operations over a WebSocket: closes it so the client reconnects (and resumes). */
  readonly connection?: { restart(reason: string): void };
}
