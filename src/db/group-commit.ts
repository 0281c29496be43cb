import { CompiledQuery, type DatabaseConnection, type Kysely, type Transaction } from 'kysely';
import { isRetryableConflict } from './errors.js';
import { onItsConnection } from './prepared.js';
import type { Database } from './schema.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Unit {
  work: Work<unknown>;
  /** One statement: SQLite undoes a failed statement by itself, so it needs no savepoint. */
  single: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

const BATCH_UNITS_MAX = 256;
const BUSY_ATTEMPTS_MAX = 3;

/**
 * SQLite group commit. With `synchronous=FULL` every COMMIT waits for the disk, and SQLite has one
 * writer, so write transactions that arrive together run as units of one transaction, each inside
 * its own savepoint, and share one COMMIT (one fsync). A unit that fails is rolled back to its
 * savepoint and fails alone; no unit's promise settles before the COMMIT has returned, so nothing
 * is acknowledged before it is durable. If the COMMIT itself fails, every unit of the batch fails.
 */
export class GroupCommit {
  private readonly queue: Unit[] = [];
  private draining = false;
  /** Commits made and units they carried, for tests and diagnostics. */
  readonly stats = { commits: 0, units: 0 };

  /** `connection`: the one connection of `kysely`'s driver, which every transaction of it holds. */
  constructor(
    private readonly kysely: Kysely<Database>,
    private readonly connection: DatabaseConnection,
  ) {}

  /** `single`: `work` issues exactly one statement, so it runs without a savepoint of its own. */
  run<T>(work: Work<T>, single = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, single, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        // better-sqlite3 runs a whole transaction without returning to the event loop, so requests
        // that arrived meanwhile are still unread. One turn of the loop lets them join this batch.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, BATCH_UNITS_MAX);
        await this.commitBatch(batch);
        this.stats.commits++;
        this.stats.units += batch.length;
      }
    } finally {
      this.draining = false;
    }
  }

  private async commitBatch(batch: Unit[]): Promise<void> {
    let outcomes: Outcome[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        outcomes = [];
        await this.kysely.transaction().execute((trx) =>
          onItsConnection(trx, this.connection, async () => {
            for (const unit of batch) outcomes.push(await runUnit(trx, this.connection, unit));
          }),
        );
        break;
      } catch (err) {
        // Another process held the write lock past the busy timeout: the batch rolled back as a
        // whole, and units have no effects outside it, so it may simply run again.
        if (attempt < BUSY_ATTEMPTS_MAX && isRetryableConflict(err)) continue;
        for (const unit of batch) unit.reject(err);
        return;
      }
    }
    batch.forEach((unit, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.err);
    });
  }
}

// Compiled once: every unit of every batch runs them.
const SAVEPOINT = CompiledQuery.raw('savepoint unit');
const RELEASE = CompiledQuery.raw('release unit');
const ROLLBACK_TO = CompiledQuery.raw('rollback to unit');

/** A unit inside its own savepoint, so that its failure undoes it alone; a single statement needs none. */
async function runUnit(
  trx: Transaction<Database>,
  connection: DatabaseConnection,
  unit: Unit,
): Promise<Outcome> {
  if (!unit.single) await connection.executeQuery(SAVEPOINT);
  try {
    const value = await unit.work(trx);
    if (!unit.single) await connection.executeQuery(RELEASE);
    return { ok: true, value };
  } catch (err) {
    if (!unit.single) {
      await connection.executeQuery(ROLLBACK_TO);
      await connection.executeQuery(RELEASE);
    }
    return { ok: false, err };
  }
}
