interface Queued<I, O> {
  readonly input: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Coalesces concurrent writes into batches, in the spirit of DataLoader but for the write
 * side and across requests. Items queued during one turn of the event loop go out together,
 * and while `maxInFlight` batches are running new items wait and join the next batch: at low
 * load an item goes out at once, at high load batches grow instead of queueing statements.
 *
 * `run` receives the batch's inputs and must return one result (or Error) per input, in order.
 * A rejected `run` of several inputs is run again in two halves, down to single inputs, so a
 * bad input (or any failure that one item causes) fails only its own write and never the
 * writes it happened to share a batch with. `run` must therefore be all-or-nothing (one
 * transaction) and safe to repeat for inputs it did not commit.
 */
export class WriteBatcher<I, O> {
  readonly #run: (inputs: I[]) => Promise<Array<O | Error>>;
  readonly #maxBatchSize: number;
  readonly #maxInFlight: number;
  #queue: Array<Queued<I, O>> = [];
  /** Halves of failed batches, run again before the queue. */
  readonly #retries: Array<Array<Queued<I, O>>> = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(run: (inputs: I[]) => Promise<Array<O | Error>>, options: { maxBatchSize?: number; maxInFlight?: number } = {}) {
    this.#run = run;
    this.#maxBatchSize = options.maxBatchSize ?? 500;
    this.#maxInFlight = options.maxInFlight ?? 4;
  }

  /** Queues one write; resolves with its own result once its batch has committed. */
  write(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#drain();
        });
      }
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#maxInFlight && (this.#retries.length > 0 || this.#queue.length > 0)) {
      // Halves of a failed batch go first: their writes are the oldest.
      this.#start(this.#retries.shift() ?? this.#queue.splice(0, this.#maxBatchSize));
    }
  }

  #start(batch: Array<Queued<I, O>>): void {
    this.#inFlight += 1;
    this.#run(batch.map((item) => item.input))
      .then(
        (results) => {
          batch.forEach((item, index) => {
            const result = results[index];
            if (result instanceof Error) item.reject(result);
            else if (result === undefined) item.reject(new Error('WriteBatcher: run returned fewer results than inputs'));
            else item.resolve(result);
          });
        },
        (error: unknown) => {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            return;
          }
          const half = Math.ceil(batch.length / 2);
          this.#retries.push(batch.slice(0, half), batch.slice(half));
        },
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#drain();
      });
  }
}
