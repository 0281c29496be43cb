import { type Kysely, SqliteAdapter } from 'kysely';
import type { Db } from '../db/connect.js';
import { isUniqueViolation, UniqueConflict } from '../db/errors.js';
import { padded, paddedIds, slotList } from '../db/padded-ids.js';
import { preparedShapes, returnsWhatItWrites } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import type { Tx } from '../db/tx.js';
import { toSafeInt } from '../db/values.js';
import { toUser, type User } from '../users/users.repository.js';
import { type Order, ordersWithUser, toOrder } from './orders.repository.js';

/*
 * The statements of a batch of deposit requests: each reads or writes the rows of every request in
 * the batch at once, so that a batch costs a handful of round trips, not a handful per request.
 */

const usersNamed = preparedShapes(
  ({ slots, lock }: { slots: number; lock: boolean }) =>
    (db: Kysely<Database>, p: Record<string, string>) => {
      const query = db
        .selectFrom('users')
        .selectAll()
        .where('username', 'in', slotList(slots, p, 'u'));
      return lock ? query.forUpdate() : query;
    },
);

/**
 * The users named, with their row locks held for the rest of the transaction, so that checks over
 * their orders (how many are pending) cannot interleave with another transaction of theirs.
 */
export async function lockUsersByName(db: Db, trx: Tx, usernames: string[]): Promise<User[]> {
  const { slots, params } = padded(usernames, 'u');
  // BEGIN IMMEDIATE already gave this transaction SQLite's one write lock: nothing can interleave.
  const result = await usersNamed({ slots, lock: db.dialect !== 'sqlite' })(trx, params);
  return result.rows.map(toUser);
}

const pendingOfUsers = preparedShapes(
  ({ slots }: { slots: number }) =>
    (db: Kysely<Database>, p: Record<string, number>) =>
      db
        .selectFrom('orders')
        .select(['user_id', (eb) => eb.fn.countAll().as('n')])
        .where('user_id', 'in', slotList(slots, p))
        .where('status', '=', 'pending')
        .groupBy('user_id'),
);

/** How many pending orders each user has; users with none are absent. */
export async function pendingCounts(trx: Tx, userIds: number[]): Promise<Map<number, number>> {
  const { slots, params } = paddedIds(userIds);
  const { rows } = await pendingOfUsers({ slots })(trx, params);
  return new Map(rows.map((r) => [toSafeInt(r.user_id), toSafeInt(r.n)]));
}

const holdersOf = preparedShapes(
  ({ slots }: { slots: number }) =>
    (db: Kysely<Database>, p: Record<string, string>) =>
      ordersWithUser(db).where('orders.pending_key', 'in', slotList(slots, p, 'k')),
);

/** The pending orders (of anyone) that hold one of `keys`. */
export async function pendingHolders(trx: Tx, keys: string[]): Promise<Order[]> {
  const { slots, params } = padded(keys, 'k');
  const { rows } = await holdersOf({ slots })(trx, params);
  return rows.map((row) => toOrder(row));
}

export interface NewPendingOrder {
  user: User;
  orderNumber: string;
  billingName: string;
  amount: number;
  pendingKey: string;
  nowMs: number;
  expiresAt: number;
}

/**
 * Stores new pending orders in one statement and returns them as stored, in the order given.
 * Throws `UniqueConflict('pending_key' | 'order_number')` when another order holds either; then
 * none of them is stored.
 */
export async function insertPendingOrders(trx: Tx, orders: NewPendingOrder[]): Promise<Order[]> {
  const params: Record<string, string | number> = {};
  orders.forEach((o, i) => {
    params[`n${i}`] = o.orderNumber;
    params[`u${i}`] = o.user.id;
    params[`b${i}`] = o.billingName;
    params[`a${i}`] = o.amount;
    params[`k${i}`] = o.pendingKey;
    params[`t${i}`] = o.nowMs;
    params[`e${i}`] = o.expiresAt;
  });
  let stored: { id: unknown; order_number: string }[];
  try {
    const inserted = await insertRows({ rows: orders.length })(trx, params);
    if (returnsWhatItWrites(trx)) stored = inserted.rows as typeof stored;
    else if (trx.getExecutor().adapter instanceof SqliteAdapter) {
      // SQLite's one writer gives the rows of one insert consecutive ids; it reports the last.
      const last = toSafeInt(inserted.insertId);
      stored = orders.map((o, i) => ({ id: last - orders.length + 1 + i, order_number: o.orderNumber }));
    } else {
      // MySQL's ids of a many-row insert need not be consecutive (innodb_autoinc_lock_mode=2).
      stored = await idsOf(trx, orders);
    }
  } catch (err) {
    if (isUniqueViolation(err, 'orders_pending_key_uq', 'orders.pending_key'))
      throw new UniqueConflict('pending_key');
    if (isUniqueViolation(err, 'orders_order_number_uq', 'orders.order_number'))
      throw new UniqueConflict('order_number');
    throw err;
  }
  const ids = new Map(stored.map((r) => [r.order_number, toSafeInt(r.id)]));
  return orders.map((o) => {
    const id = ids.get(o.orderNumber);
    if (id === undefined) throw new Error(`order ${o.orderNumber} was not stored`);
    return storedOrder(id, o);
  });
}

const insertRows = preparedShapes(
  ({ rows }: { rows: number }) =>
    (db: Kysely<Database>, p: Record<string, string | number>) =>
      db
        .insertInto('orders')
        .values(
          Array.from({ length: rows }, (_, i) => ({
            order_number: p[`n${i}`] as string,
            user_id: p[`u${i}`] as number,
            billing_name: p[`b${i}`] as string,
            amount: p[`a${i}`] as number,
            status: 'pending' as const,
            pending_key: p[`k${i}`] as string,
            created_at: p[`t${i}`] as number,
            updated_at: p[`t${i}`] as number,
            expires_at: p[`e${i}`] as number,
          })),
        )
        .$if(returnsWhatItWrites(db), (q) => q.returning(['id', 'order_number'])),
);

const numbersOf = preparedShapes(
  ({ slots }: { slots: number }) =>
    (db: Kysely<Database>, p: Record<string, string>) =>
      db
        .selectFrom('orders')
        .select(['id', 'order_number'])
        .where('order_number', 'in', slotList(slots, p, 'n')),
);

async function idsOf(trx: Tx, orders: NewPendingOrder[]) {
  const { slots, params } = padded(
    orders.map((o) => o.orderNumber),
    'n',
  );
  return (await numbersOf({ slots })(trx, params)).rows;
}

/** A new order as the insert stored it, without reading it back. */
function storedOrder(id: number, o: NewPendingOrder): Order {
  return {
    id,
    orderNumber: o.orderNumber,
    userId: o.user.id,
    username: o.user.username,
    walletAddress: o.user.walletAddress,
    billingName: o.billingName,
    amount: o.amount,
    status: 'pending',
    cancelReason: null,
    lateMatch: false,
    memo: null,
    createdAt: o.nowMs,
    expiresAt: o.expiresAt,
    registeredAt: null,
    matchedAt: null,
    completedAt: null,
    cancelledAt: null,
  };
}
