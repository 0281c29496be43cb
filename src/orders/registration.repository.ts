import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import { IdBatch } from '../db/id-batch.js';
import { paddedIds, slotList } from '../db/padded-ids.js';
import { prepared, preparedShapes } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { autocommit, retryingConflicts } from '../db/tx.js';

const setRegistered = prepared((db, p: { orderId: number; nowMs: number }) =>
  db.updateTable('orders').set({ registered_at: p.nowMs }).where('id', '=', p.orderId),
);

const setManyRegistered = preparedShapes(
  ({ slots }: { slots: number }) =>
    (db: Kysely<Database>, p: Record<string, number>) =>
      db
        .updateTable('orders')
        .set({ registered_at: p.atMs as number })
        .where('id', 'in', slotList(slots, p)),
);

async function writeRegistered(db: Kysely<Database>, ids: number[], atMs: number): Promise<void> {
  const { slots, params } = paddedIds(ids);
  // A single statement that lost a deadlock was undone whole: running it again is safe.
  await retryingConflicts(() => setManyRegistered({ slots })(db, { ...params, atMs }));
}

const batches = new WeakMap<Kysely<Database>, IdBatch>();

/**
 * Records that Payaction accepted the order. On SQLite the write joins the group commit. MariaDB,
 * MySQL and PostgreSQL cost a round trip per statement on both sides, so the marks of the answers
 * that arrive together are written by one statement; its time is the latest of theirs.
 */
export function markRegistered(db: Db, orderId: number, nowMs: number): Promise<void> {
  if (db.groupCommit)
    return autocommit(db, async (k) => {
      await setRegistered(k, { orderId, nowMs });
    });
  let batch = batches.get(db.kysely);
  if (!batch) {
    batch = new IdBatch((ids, atMs) => writeRegistered(db.kysely, ids, atMs));
    batches.set(db.kysely, batch);
  }
  return batch.add(orderId, nowMs);
}
