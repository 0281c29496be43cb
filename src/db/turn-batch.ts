export type Settled<T> = { ok: true; value: T } | { ok: false; err: unknown };

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export interface TurnBatchOptions {
  /** Items per batch at most (64). */
  sizeMax?: number;
  /** Batches running at once at most (1). */
  inFlightMax?: number;
  /** After this long a running batch no longer holds back the next (100 ms). */
  stallMs?: number;
  /** Told each time a batch has run for `stallMs`. */
  onStall?: () => void;
}

/**
 * Runs the items given within one turn of the event loop as one batch, and those given while
 * `inFlightMax` batches run as the next: one transaction's statements for what would have been a
 * transaction each. `run` settles every item of its batch; if it throws, every item fails with it.
 * Nothing settles before its batch has returned. A batch still running after `stallMs` (a database
 * that does not answer) stops holding back the next one, so that no item waits for more than its
 * own batch and `stallMs`.
 */
export class TurnBatch<I, O> {
  private queue: Waiting<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly sizeMax: number;
  private readonly inFlightMax: number;
  private readonly stallMs: number;
  private readonly onStall: () => void;

  constructor(
    private readonly run: (items: I[]) => Promise<Settled<O>[]>,
    options: TurnBatchOptions = {},
  ) {
    this.sizeMax = options.sizeMax ?? 64;
    this.inFlightMax = options.inFlightMax ?? 1;
    this.stallMs = options.stallMs ?? 100;
    this.onStall = options.onStall ?? (() => undefined);
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.inFlightMax || this.queue.length === 0) return;
    this.scheduled = true;
    // After the turn's I/O callbacks: the requests that arrived together run together.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.inFlightMax && this.queue.length > 0)
        void this.runBatch(this.queue.splice(0, this.sizeMax));
    });
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    this.inFlight++;
    let holding = true;
    const release = () => {
      if (!holding) return;
      holding = false;
      this.inFlight--;
      this.schedule();
    };
    // Without a bound on batches in flight, none holds back the next.
    const stall = () => {
      this.onStall();
      release();
    };
    const stalled = Number.isFinite(this.inFlightMax) ? setTimeout(stall, this.stallMs) : undefined;
    let outcomes: Settled<O>[];
    try {
      outcomes = await this.run(batch.map((w) => w.item));
    } catch (err) {
      outcomes = batch.map(() => ({ ok: false, err }));
    }
    clearTimeout(stalled);
    batch.forEach((w, i) => {
      const outcome = outcomes[i] ?? { ok: false, err: new Error('batch left an item unsettled') };
      if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.err);
    });
    release();
  }
}
