interface Waiting {
  id: number;
  atMs: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Writes the ids given within one turn of the event loop together, in statements of up to
 * `idsMax` ids each: one round trip to the database for what would have been one per id. Each
 * `add` settles when the statement that carried its id has: nothing is acknowledged before it is
 * written. A statement that fails fails every id it carried.
 */
export class IdBatch {
  private waiting: Waiting[] = [];
  private scheduled = false;

  /** `write` gets distinct ids and the latest time given with them. */
  constructor(
    private readonly write: (ids: number[], atMs: number) => Promise<void>,
    private readonly idsMax = 256,
  ) {}

  add(id: number, atMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ id, atMs, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the turn's I/O callbacks: the answers that arrived together are written together.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const waiting = this.waiting;
    this.waiting = [];
    for (let from = 0; from < waiting.length; from += this.idsMax)
      void this.writeChunk(waiting.slice(from, from + this.idsMax));
  }

  private async writeChunk(chunk: Waiting[]): Promise<void> {
    let atMs = 0;
    for (const w of chunk) atMs = Math.max(atMs, w.atMs);
    try {
      await this.write([...new Set(chunk.map((w) => w.id))], atMs);
    } catch (err) {
      for (const w of chunk) w.reject(err);
      return;
    }
    for (const w of chunk) w.resolve();
  }
}
