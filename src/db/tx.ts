import type { Kysely, Transaction } from 'kysely';
import type { Db } from './connect.js';
import { isRetryableConflict } from './errors.js';
import type { Database } from './schema.js';

export type Tx = Transaction<Database>;

const CONFLICT_ATTEMPTS_MAX = 5;
const CONFLICT_BACKOFF_MS = 5;

/**
 * One autocommit write: `work` issues exactly one statement. On SQLite it joins the group commit
 * rather than paying a commit (and an fsync) of its own; elsewhere it simply runs.
 */
export function autocommit<T>(db: Db, work: (executor: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.groupCommit ? db.groupCommit.run(work, true) : work(db.kysely);
}

/**
 * Runs `work` again when it lost a deadlock or a lock wait: the database undid all it did, so
 * `work` must have no effects outside the statements it runs.
 */
export async function retryingConflicts<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= CONFLICT_ATTEMPTS_MAX || !isRetryableConflict(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, CONFLICT_BACKOFF_MS * attempt));
    }
  }
}

/**
 * Runs `work` in one transaction. A deadlock or lock timeout rolls everything back, so running the
 * whole function again is safe; `work` must therefore have no effects outside the transaction.
 */
export async function inTransaction<T>(db: Db, work: (trx: Tx) => Promise<T>): Promise<T> {
  // SQLite has one writer in this process: its transactions are grouped to share a commit.
  if (db.groupCommit) return db.groupCommit.run(work);
  return retryingConflicts(() => db.kysely.transaction().execute(work));
}
