/**
 * Which messages one subscription has already emitted, per conversation, by sequence number:
 * what keeps catch-up and live delivery free of duplicates at the seam.
 *
 * Per conversation: a `floor` (everything at or below it counts as delivered: the `after`
 * message of a catch-up, or seqs that fell out of the window) and the seqs emitted above it.
 * An event is dropped only when it was delivered already, not merely because a higher seq
 * went out first: within one instance publishes keep commit order, but two instances may
 * publish a conversation's consecutive batches in either order, and delivering the late one
 * out of order beats losing it. The window bounds memory per conversation; an event that
 * arrives more than `window` seqs late is dropped (the client's next catch-up has it).
 */
export class DeliveredSeqs {
  readonly #window: number;
  readonly #byConversation = new Map<string, { floor: number; seen: Set<number> }>();

  constructor(window = 256) {
    this.#window = window;
  }

  /** Counts everything at or below `seq` in this conversation as delivered. */
  raiseFloor(conversationId: string, seq: number): void {
    const state = this.#state(conversationId);
    if (seq <= state.floor) return;
    state.floor = seq;
    for (const seen of state.seen) if (seen <= seq) state.seen.delete(seen);
  }

  /** True when this message was not delivered yet; it then counts as delivered. */
  accept(conversationId: string, seq: number): boolean {
    const state = this.#state(conversationId);
    if (seq <= state.floor || state.seen.has(seq)) return false;
    state.seen.add(seq);
    if (state.seen.size > this.#window) {
      // Sets iterate in insertion order: the oldest delivery leaves the window.
      const oldest = state.seen.values().next().value as number;
      state.seen.delete(oldest);
      state.floor = Math.max(state.floor, oldest);
    }
    return true;
  }

  /** Everything at or below this seq of the conversation counts as delivered (0 when nothing does). */
  floorOf(conversationId: string): number {
    return this.#byConversation.get(conversationId)?.floor ?? 0;
  }

  /** The conversations with a floor or deliveries. */
  conversations(): IterableIterator<string> {
    return this.#byConversation.keys();
  }

  /** How many delivered seqs are remembered above the floors, all conversations together. */
  get remembered(): number {
    let count = 0;
    for (const state of this.#byConversation.values()) count += state.seen.size;
    return count;
  }

  #state(conversationId: string) {
    let state = this.#byConversation.get(conversationId);
    if (state === undefined) {
      state = { floor: 0, seen: new Set() };
      this.#byConversation.set(conversationId, state);
    }
    return state;
  }
}
