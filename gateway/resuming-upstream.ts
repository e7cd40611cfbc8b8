import type { FormattedExecutionResult } from 'graphql-ws';
import { type OperationListener, UpstreamLost } from './upstream-connection.js';

/** How a lost upstream operation is tried again: at once, then backing off, for at most `windowMs`. */
export interface ResumePolicy {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up (the client is told to reconnect) when the subgraph stays unreachable this long. */
  readonly windowMs: number;
}

/** A subgraph restart or a rolling deploy takes seconds; a subgraph down longer is an outage the client should see. */
export const DEFAULT_RESUME_POLICY: ResumePolicy = Object.freeze({ firstDelayMs: 100, maxDelayMs: 2000, windowMs: 30_000 });

/** A resubscribed operation that lived this long without failing ends its series of attempts. */
const STABLE_AFTER_MS = 5000;

/** Positions remembered to drop what a replay sends again (a replay across conversations is ordered by time, not by arrival). */
const RECENT_POSITIONS = 16;

/**
 * One subscription's upstream operation, kept alive across lost subgraph connections: when the
 * socket to the subgraph drops (a restart, a deploy), it subscribes again from the position of
 * the last event it received (`open(position)`), so the subscriber sees neither a gap nor a
 * duplicate, and nothing of the reconnect. Without a position (nothing received yet, and the
 * client gave none) there is nothing to resume from: the loss ends the operation as before, and
 * the client reconnects and resumes itself.
 *
 * Refusals and completions from the subgraph, and a gateway that is closing, end the operation.
 */
export class ResumingUpstream {
  readonly #open: (position: string | null, listener: OperationListener) => () => void;
  readonly #positionOf: ((event: FormattedExecutionResult) => string | undefined) | undefined;
  readonly #downstream: OperationListener;
  readonly #mayResume: () => boolean;
  readonly #policy: ResumePolicy;
  readonly #onResume: (outcome: 'resubscribed' | 'gave_up') => void;
  #position: string | null;
  /** Positions of the last events passed on, oldest first: a resumed replay's repeats are dropped. */
  readonly #recent: string[] = [];
  #stopUpstream: () => void = () => undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  /** When the current series of failed attempts began; undefined while the operation is healthy. */
  #lostSince: number | undefined;
  #attempts = 0;
  #openedAt = 0;

  constructor(deps: {
    /** Subscribes upstream, from `position` (null: from where the client asked); returns what stops it. */
    open: (position: string | null, listener: OperationListener) => () => void;
    /** Reads an event's position; undefined for an operation that cannot resume. */
    positionOf: ((event: FormattedExecutionResult) => string | undefined) | undefined;
    /** The client's own start position, if it gave one. */
    initialPosition: string | null;
    downstream: OperationListener;
    /** False while the gateway is closing. */
    mayResume: () => boolean;
    policy?: ResumePolicy;
    onResume?: (outcome: 'resubscribed' | 'gave_up') => void;
  }) {
    this.#open = deps.open;
    this.#positionOf = deps.positionOf;
    this.#downstream = deps.downstream;
    this.#mayResume = deps.mayResume;
    this.#policy = deps.policy ?? DEFAULT_RESUME_POLICY;
    this.#onResume = deps.onResume ?? (() => undefined);
    this.#position = deps.initialPosition;
    this.#subscribe();
  }

  /** Stops the operation (the subscriber left); the downstream listener is not ended by it. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#stopUpstream();
  }

  #subscribe(): void {
    this.#openedAt = Date.now();
    const replaying = this.#attempts > 0;
    this.#stopUpstream = this.#open(this.#position, {
      push: (event) => this.#received(event, replaying),
      end: (error) => this.#ended(error),
    });
  }

  #received(event: FormattedExecutionResult, replaying: boolean): void {
    if (this.#stopped) return;
    const position = this.#positionOf?.(event);
    if (position !== undefined) {
      if (replaying && this.#recent.includes(position)) return;
      this.#position = position;
      this.#recent.push(position);
      if (this.#recent.length > RECENT_POSITIONS) this.#recent.shift();
    }
    this.#lostSince = undefined;
    this.#downstream.push(event);
  }

  #ended(error: Error | undefined): void {
    if (this.#stopped) return;
    const resumable =
      error instanceof UpstreamLost &&
      this.#positionOf !== undefined &&
      this.#position !== null &&
      this.#policy.windowMs > 0 &&
      this.#mayResume();
    if (!resumable) {
      if (this.#attempts > 0 && error instanceof UpstreamLost) this.#onResume('gave_up');
      this.#downstream.end(error);
      return;
    }
    const now = Date.now();
    if (this.#lostSince === undefined || now - this.#openedAt >= STABLE_AFTER_MS) {
      this.#lostSince = now;
      this.#attempts = 0;
    }
    if (now - this.#lostSince >= this.#policy.windowMs) {
      this.#onResume('gave_up');
      this.#downstream.end(error);
      return;
    }
    const delay =
      this.#attempts === 0 ? 0 : Math.min(this.#policy.maxDelayMs, this.#policy.firstDelayMs * 2 ** (this.#attempts - 1));
    this.#attempts += 1;
    this.#stopUpstream = () => undefined;
    this.#retry = setTimeout(() => {
      if (this.#stopped) return;
      if (!this.#mayResume()) {
        this.#downstream.end(error);
        return;
      }
      this.#onResume('resubscribed');
      this.#subscribe();
    }, delay);
  }
}
