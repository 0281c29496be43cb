import { TurnBatch } from './turn-batch.js';

interface Mark {
  id: number;
  atMs: number;
}

const done = { ok: true, value: undefined } as const;

/**
 * Writes the ids given within one turn of the event loop together, in statements of up to
 * `idsMax` ids each: one round trip to the database for what would have been one per id. Each
 * `add` settles when the statement that carried its id has: nothing is acknowledged before it is
 * written. A statement that fails fails every id it carried. Statements do not wait for each other.
 */
export class IdBatch {
  private readonly batch: TurnBatch<Mark, void>;

  /** `write` gets distinct ids and the latest time given with them. */
  constructor(write: (ids: number[], atMs: number) => Promise<void>, idsMax = 256) {
    this.batch = new TurnBatch<Mark, void>(
      async (marks) => {
        let atMs = 0;
        for (const m of marks) atMs = Math.max(atMs, m.atMs);
        await write([...new Set(marks.map((m) => m.id))], atMs);
        return marks.map(() => done);
      },
      { sizeMax: idsMax, inFlightMax: Number.POSITIVE_INFINITY },
    );
  }

  add(id: number, atMs: number): Promise<void> {
    return this.batch.add({ id, atMs });
  }
}
