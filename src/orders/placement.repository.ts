import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import { isUniqueViolation, UniqueConflict } from '../db/errors.js';
import { padded, slotList } from '../db/padded-ids.js';
import { preparedShapes, returnsWhatItWrites } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { type Statement, statement } from '../db/trips.js';
import { toSafeInt } from '../db/values.js';
import { toUser, type User } from '../users/users.repository.js';
import { type Order, ordersWithUser, toOrder } from './orders.repository.js';

/*
 * The statements of a batch of deposit requests: each reads or writes the rows of every request in
 * the batch at once, and they travel in a few trips (src/db/trips.ts), not a few per request.
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
export function lockedUsersNamed(db: Db, usernames: string[]): Statement<User[]> {
  const { slots, params } = padded(usernames, 'u');
  // BEGIN IMMEDIATE already gave this transaction SQLite's one write lock: nothing can interleave.
  const query = usersNamed({ slots, lock: db.dialect !== 'sqlite' }).bound(db.kysely, params);
  return statement(query, (r) => r.rows.map(toUser));
}

const pendingOfNamed = preparedShapes(
  ({ slots }: { slots: number }) =>
    (db: Kysely<Database>, p: Record<string, string>) =>
      db
        .selectFrom('users')
        .select((eb) => [
          'users.id',
          eb
            .selectFrom('orders')
            .select(eb.fn.countAll().as('c'))
            .whereRef('orders.user_id', '=', 'users.id')
            .where('orders.status', '=', 'pending')
            .as('n'),
        ])
        .where('users.username', 'in', slotList(slots, p, 'u')),
);

/**
 * How many pending orders each of the users named has, by user id.
 * By name, so that it can travel with the lock of those users, after which it runs.
 */
export function pendingCounts(db: Db, usernames: string[]): Statement<Map<number, number>> {
  const { slots, params } = padded(usernames, 'u');
  const query = pendingOfNamed({ slots }).bound(db.kysely, params);
  return statement(query, (r) => new Map(r.rows.map((row) => [toSafeInt(row.id), toSafeInt(row.n)])));
}

const holdersOf = preparedShapes(
  ({ slots }: { slots: number }) =>
    (db: Kysely<Database>, p: Record<string, string>) =>
      ordersWithUser(db).where('orders.pending_key', 'in', slotList(slots, p, 'k')),
);

/** The pending orders (of anyone) that hold one of `keys`. */
export function pendingHolders(db: Db, keys: string[]): Statement<Order[]> {
  const { slots, params } = padded(keys, 'k');
  const query = holdersOf({ slots }).bound(db.kysely, params);
  return statement(query, (r) => r.rows.map((row) => toOrder(row)));
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

/** What a unique violation of the insert means: another order took its number or its key. */
function orderConflict(err: unknown): UniqueConflict | undefined {
  if (isUniqueViolation(err, 'orders_pending_key_uq', 'orders.pending_key'))
    return new UniqueConflict('pending_key');
  if (isUniqueViolation(err, 'orders_order_number_uq', 'orders.order_number'))
    return new UniqueConflict('order_number');
  return undefined;
}

/**
 * Stores new pending orders in one insert and answers them as stored, in the order given. Fails
 * with `UniqueConflict('pending_key' | 'order_number')` when another order holds either; then
 * none of them is stored.
 */
export function newPendingOrders(db: Db, orders: NewPendingOrder[]): Statement<Order[]> {
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
  const insert = insertRows({ rows: orders.length }).bound(db.kysely, params);
  const asStored = (stored: { id: unknown; order_number: string }[]) => {
    const ids = new Map(stored.map((r) => [r.order_number, toSafeInt(r.id)]));
    return orders.map((o) => {
      const id = ids.get(o.orderNumber);
      if (id === undefined) throw new Error(`order ${o.orderNumber} was not stored`);
      return storedOrder(id, o);
    });
  };
  if (returnsWhatItWrites(db.kysely))
    return statement(
      insert,
      (r) => asStored(r.rows as { id: unknown; order_number: string }[]),
      orderConflict,
    );
  if (db.dialect === 'sqlite') {
    // SQLite's one writer gives the rows of one insert consecutive ids; it reports the last.
    return statement(
      insert,
      (r) => {
        const last = toSafeInt(r.insertId);
        return asStored(
          orders.map((o, i) => ({ id: last - orders.length + 1 + i, order_number: o.orderNumber })),
        );
      },
      orderConflict,
    );
  }
  // MySQL's ids of a many-row insert need not be consecutive (innodb_autoinc_lock_mode=2): read
  // back by order number, in the same trip.
  const { slots, params: numbers } = padded(
    orders.map((o) => o.orderNumber),
    'n',
  );
  const readBack = numbersOf({ slots }).bound(db.kysely, numbers);
  return {
    queries: [insert, readBack],
    read: ([, ids]) => asStored((ids?.rows ?? []) as { id: unknown; order_number: string }[]),
    failure: orderConflict,
  };
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
