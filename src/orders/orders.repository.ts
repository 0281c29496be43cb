import { type Kysely, type QueryResult, type SelectQueryBuilder, sql, type Updateable } from 'kysely';
import type { Db } from '../db/connect.js';
import { type IdSpan, idSpans } from '../db/id-spans.js';
import { paddedIds, slotList } from '../db/padded-ids.js';
import { inlinedInteger, prepared, preparedShapes } from '../db/prepared.js';
import type { Database, OrdersTable } from '../db/schema.js';
import { type Statement, statement } from '../db/trips.js';
import { toBool, toSafeInt } from '../db/values.js';
import { type CancelReason, ORDER_STATUSES, type OrderStatus } from '../domain/order.js';
import { findUser } from '../users/users.repository.js';

export interface Order {
  id: number;
  orderNumber: string;
  userId: number;
  username: string;
  walletAddress: string | null;
  billingName: string;
  amount: number;
  status: OrderStatus;
  cancelReason: CancelReason | null;
  lateMatch: boolean;
  memo: string | null;
  createdAt: number;
  expiresAt: number;
  registeredAt: number | null;
  matchedAt: number | null;
  completedAt: number | null;
  cancelledAt: number | null;
}

export function ordersWithUser(db: Kysely<Database>) {
  return db
    .selectFrom('orders')
    .innerJoin('users', 'users.id', 'orders.user_id')
    .select([
      'orders.id',
      'orders.order_number',
      'orders.user_id',
      'users.username',
      'users.wallet_address',
      'orders.billing_name',
      'orders.amount',
      'orders.status',
      'orders.cancel_reason',
      'orders.late_match',
      'orders.memo',
      'orders.created_at',
      'orders.expires_at',
      'orders.registered_at',
      'orders.matched_at',
      'orders.completed_at',
      'orders.cancelled_at',
    ]);
}

type OrderJoinRow = Awaited<ReturnType<ReturnType<typeof ordersWithUser>['executeTakeFirstOrThrow']>>;

/** What the list of settled deposits shows of an order, and nothing more: each column read costs. */
export type SettledEntry = Pick<
  Order,
  | 'id'
  | 'orderNumber'
  | 'userId'
  | 'username'
  | 'walletAddress'
  | 'billingName'
  | 'amount'
  | 'status'
  | 'createdAt'
>;

const SETTLED_ORDER_COLUMNS = [
  'orders.id',
  'orders.order_number',
  'orders.user_id',
  'orders.billing_name',
  'orders.amount',
  'orders.status',
  'orders.created_at',
] as const;

const settledWithUser = (db: Kysely<Database>) =>
  db
    .selectFrom('orders')
    .innerJoin('users', 'users.id', 'orders.user_id')
    .select([...SETTLED_ORDER_COLUMNS, 'users.username', 'users.wallet_address']);

type SettledJoinRow = Awaited<ReturnType<ReturnType<typeof settledWithUser>['executeTakeFirstOrThrow']>>;

const optInt = (v: unknown): number | null => (v === null || v === undefined ? null : toSafeInt(v));

type Owner = { username: string; wallet_address: string | null };

/** `owner` when the row's user columns come from elsewhere (a list reads owners once per page). */
function toSettledEntry(
  row: Omit<SettledJoinRow, keyof Owner>,
  owner: Owner = row as SettledJoinRow,
): SettledEntry {
  return {
    id: toSafeInt(row.id),
    orderNumber: row.order_number,
    userId: toSafeInt(row.user_id),
    username: owner.username,
    walletAddress: owner.wallet_address,
    billingName: row.billing_name,
    amount: toSafeInt(row.amount),
    status: row.status,
    createdAt: toSafeInt(row.created_at),
  };
}

// One object literal, not `Object.assign(toSettledEntry(…), …)`: that took 260–360 ns a row
// against 45–65 ns, and every order read is made here.
export function toOrder(row: Omit<OrderJoinRow, keyof Owner>, owner: Owner = row as OrderJoinRow): Order {
  return {
    id: toSafeInt(row.id),
    orderNumber: row.order_number,
    userId: toSafeInt(row.user_id),
    username: owner.username,
    walletAddress: owner.wallet_address,
    billingName: row.billing_name,
    amount: toSafeInt(row.amount),
    status: row.status,
    cancelReason: row.cancel_reason,
    lateMatch: toBool(row.late_match),
    memo: row.memo,
    createdAt: toSafeInt(row.created_at),
    expiresAt: toSafeInt(row.expires_at),
    registeredAt: optInt(row.registered_at),
    matchedAt: optInt(row.matched_at),
    completedAt: optInt(row.completed_at),
    cancelledAt: optInt(row.cancelled_at),
  };
}

const orderByNumber = prepared((db, p: { orderNumber: string }) =>
  ordersWithUser(db).where('orders.order_number', '=', p.orderNumber),
);

export async function findOrder(db: Kysely<Database>, orderNumber: string): Promise<Order | undefined> {
  const row = (await orderByNumber(db, { orderNumber })).rows[0];
  return row && toOrder(row);
}

export async function countAllPending(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return toSafeInt(row.n);
}

const moved = (r: QueryResult<unknown>) => (r.numAffectedRows ?? 0n) > 0n;

/**
 * Moves an order out of `from` only if it is still there. The row count decides who won a race:
 * exactly one concurrent caller sees `true`.
 */
export function orderMoved(
  db: Kysely<Database>,
  orderId: number,
  from: OrderStatus,
  patch: Updateable<OrdersTable>,
): Statement<boolean> {
  const query = db.updateTable('orders').set(patch).where('id', '=', orderId).where('status', '=', from);
  return statement(query.compile(), moved);
}

/** A credit's move to matched: from which status, and whether that makes it a late match. */
export interface MatchMove {
  from: OrderStatus;
  lateMatch: boolean;
  nowMs: number;
}

type MatchParams = { from: OrderStatus; lateMatch: number; nowMs: number };

const matchedPatch = (p: MatchParams) => ({
  status: 'matched' as const,
  pending_key: null,
  matched_at: p.nowMs,
  updated_at: p.nowMs,
  late_match: p.lateMatch,
});

const toMatched = prepared((db, p: MatchParams & { orderId: number }) =>
  db.updateTable('orders').set(matchedPatch(p)).where('id', '=', p.orderId).where('status', '=', p.from),
);

const toMatchedByNumber = prepared((db, p: MatchParams & { orderNumber: string }) =>
  db
    .updateTable('orders')
    .set(matchedPatch(p))
    .where('order_number', '=', p.orderNumber)
    .where('status', '=', p.from),
);

const matchParams = (move: MatchMove): MatchParams => ({ ...move, lateMatch: move.lateMatch ? 1 : 0 });

/** The conditional move to matched, by id. True when this statement moved the order. */
export const matchedById = (db: Kysely<Database>, orderId: number, move: MatchMove) =>
  statement(toMatched.bound(db, { ...matchParams(move), orderId }), moved);

/**
 * The same move by order number: it needs no read before it, so it can travel in the same trip
 * as the read of the order.
 */
export const matchedByNumber = (db: Kysely<Database>, orderNumber: string, move: MatchMove) =>
  statement(toMatchedByNumber.bound(db, { ...matchParams(move), orderNumber }), moved);

/** `findOrder` as a statement to send with others. */
export const orderNumbered = (db: Kysely<Database>, orderNumber: string): Statement<Order | undefined> =>
  statement(orderByNumber.bound(db, { orderNumber }), (r) => {
    const row = r.rows[0];
    return row && toOrder(row);
  });

export interface OrderFilter {
  statuses?: readonly OrderStatus[];
  /** Only this user's orders; the user is known, so no lookup of owners is needed. */
  owner?: { id: number; username: string; walletAddress: string | null };
  fromMs?: number;
  toMs?: number;
  beforeId?: number;
  limit: number;
}

const ORDER_COLUMNS = [
  'id',
  'order_number',
  'user_id',
  'billing_name',
  'amount',
  'status',
  'cancel_reason',
  'late_match',
  'memo',
  'created_at',
  'expires_at',
  'registered_at',
  'matched_at',
  'completed_at',
  'cancelled_at',
] as const;

interface RangeParams {
  status: OrderStatus;
  userId: number;
  fromMs: number;
  toMs: number;
  beforeId: number;
  minId: number;
  maxId: number;
  limit: number;
}

/** Which filters a range query has, and whether it reads whole rows or ids alone. */
type RangeShape = Record<Exclude<keyof RangeParams, 'limit'>, boolean> & { idsOnly: boolean };

/** The filters a range has besides its status, newest first, at most a page. */
type RangeFilters = Omit<RangeShape, 'status' | 'idsOnly'>;

function inRange<O>(
  q: SelectQueryBuilder<Database, 'orders', O>,
  shape: RangeFilters,
  p: Omit<RangeParams, 'status'>,
): SelectQueryBuilder<Database, 'orders', O> {
  // Inside an id window the dates only trim its ends. Compared as an expression they are no index's
  // range, so a planner keeps the window's walk newest-first: PostgreSQL at 1M orders multiplied
  // both ranges' selectivities (the same rows), expected 3 rows of 1,152 and merged two indexes.
  const createdAt =
    shape.minId || shape.maxId ? sql<number>`${sql.ref('created_at')} + 0` : sql.ref('created_at');
  return q
    .$if(shape.userId, (q) => q.where('user_id', '=', p.userId))
    .$if(shape.fromMs, (q) => q.where(createdAt, '>=', p.fromMs))
    .$if(shape.toMs, (q) => q.where(createdAt, '<', p.toMs))
    .$if(shape.beforeId, (q) => q.where('id', '<', p.beforeId))
    .$if(shape.minId, (q) => q.where('id', '>=', p.minId))
    .$if(shape.maxId, (q) => q.where('id', '<=', p.maxId))
    .orderBy('id', 'desc')
    .limit(inlinedInteger(p.limit));
}

const rangeQuery = preparedShapes((shape: RangeShape) => (db: Kysely<Database>, p: RangeParams) => {
  const columns = db.selectFrom('orders').select(shape.idsOnly ? ['id'] : ORDER_COLUMNS);
  return inRange(shape.status ? columns.where('status', '=', p.status) : columns, shape, p);
});

/**
 * One status (or none) at a time: a plain index range read backwards, never a sort of all matches.
 * `idsOnly`: the rows carry their id and nothing else.
 */
async function orderRange(
  db: Kysely<Database>,
  filter: OrderFilter,
  status: OrderStatus | undefined,
  ids: IdWindow | undefined,
  idsOnly: boolean,
) {
  const range = rangeOf(filter, ids);
  const shape: RangeShape = { status: status !== undefined, ...range.shape, idsOnly };
  return (await rangeQuery(shape)(db, { ...range.params, status } as RangeParams)).rows;
}

/** A range's filters, and their values: only those the shape names are bound, the others unread. */
function rangeOf(filter: OrderFilter, ids: IdWindow | undefined) {
  const { owner, fromMs, toMs, beforeId } = filter;
  const shape: RangeFilters = {
    userId: owner !== undefined,
    fromMs: fromMs !== undefined,
    toMs: toMs !== undefined,
    beforeId: beforeId !== undefined,
    minId: ids !== undefined,
    maxId: ids !== undefined,
  };
  return { shape, params: { userId: owner?.id, fromMs, toMs, beforeId, ...ids, limit: filter.limit } };
}

/** What a user's transaction history shows of an order, and nothing more: each column read costs. */
export interface HistoryEntry {
  id: number;
  orderNumber: string;
  amount: number;
  status: OrderStatus;
  createdAt: number;
}

const historyQuery = preparedShapes(
  ({ paged, byName }: { paged: boolean; byName: boolean }) =>
    (db: Kysely<Database>, p: { username: string; userId: number; beforeId: number; limit: number }) =>
      db
        .selectFrom('orders')
        .select(['id', 'order_number', 'amount', 'status', 'created_at'])
        .where(
          'user_id',
          '=',
          byName
            ? db.selectFrom('users').select('users.id').where('users.username', '=', p.username)
            : p.userId,
        )
        .$if(paged, (q) => q.where('id', '<', p.beforeId))
        .orderBy('id', 'desc')
        .limit(inlinedInteger(p.limit)),
);

/**
 * A user's orders newest first, keyset-paged on the id: the (user_id, id) index, read backwards;
 * `undefined` when there is no such user. SQLite and MariaDB/MySQL find the user inside the same
 * statement (MySQL reads the subquery's one row before it plans, SQLite plans no differently), so
 * a page is one round trip. PostgreSQL plans a subquery's value as unknown: it guessed the average
 * user's handful of orders and, for a user with 50,000 of 100,000, read and sorted them all
 * (11.5 ms against 0.03 ms), so there the user's id is read first and the page planned with it.
 */
export async function listHistory(
  db: Db,
  username: string,
  beforeId: number | undefined,
  limit: number,
): Promise<HistoryEntry[] | undefined> {
  const byName = db.dialect !== 'postgres';
  let userId = 0;
  if (!byName) {
    const user = await findUser(db.kysely, username);
    if (!user) return undefined;
    userId = user.id;
  }
  const query = historyQuery({ paged: beforeId !== undefined, byName });
  const { rows } = await query(db.kysely, { username, userId, beforeId: beforeId ?? 0, limit });
  // Found by name, only an empty page needs to know whether the user exists at all.
  if (byName && rows.length === 0 && !(await findUser(db.kysely, username))) return undefined;
  return rows.map((row) => ({
    id: toSafeInt(row.id),
    orderNumber: row.order_number,
    amount: toSafeInt(row.amount),
    status: row.status,
    createdAt: toSafeInt(row.created_at),
  }));
}

interface IdWindow {
  minId: number;
  maxId: number;
}

// A date window with more orders than this is read by walking ids alone; its matches are dense.
const WINDOW_ORDERS_MAX = 10_000;

const windowQuery = preparedShapes(
  ({ from, to }: { from: boolean; to: boolean }) =>
    (db: Kysely<Database>, p: { fromMs: number; toMs: number; cap: number }) =>
      db
        .selectFrom((eb) =>
          eb
            .selectFrom('orders')
            .select('id')
            .$if(from, (q) => q.where('created_at', '>=', p.fromMs))
            .$if(to, (q) => q.where('created_at', '<', p.toMs))
            .limit(inlinedInteger(p.cap))
            .as('w'),
        )
        .select((eb) => [eb.fn.min('w.id').as('lo'), eb.fn.max('w.id').as('hi'), eb.fn.countAll().as('n')]),
);

/**
 * The id range of the orders created inside a date window, read from the created_at index alone.
 * Walking ids newest-first, a window far in the past would first step over every newer order;
 * bounded by the window's own ids, the walk costs what the window holds, however large the table.
 */
async function idWindowOf(db: Kysely<Database>, filter: OrderFilter): Promise<IdWindow | 'none' | undefined> {
  const { fromMs, toMs } = filter;
  if (fromMs === undefined && toMs === undefined) return undefined;
  const query = windowQuery({ from: fromMs !== undefined, to: toMs !== undefined });
  const row = (await query(db, { fromMs: fromMs ?? 0, toMs: toMs ?? 0, cap: WINDOW_ORDERS_MAX })).rows[0];
  const n = toSafeInt(row?.n ?? 0);
  if (n === 0) return 'none';
  if (n >= WINDOW_ORDERS_MAX || row?.lo == null || row.hi == null) return undefined;
  return { minId: toSafeInt(row.lo), maxId: toSafeInt(row.hi) };
}

async function ownersOf(db: Kysely<Database>, userIds: number[]) {
  if (userIds.length === 0) return new Map<number, { username: string; wallet_address: string | null }>();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username', 'wallet_address'])
    .where('id', 'in', [...new Set(userIds)])
    .execute();
  return new Map(rows.map((r) => [toSafeInt(r.id), r]));
}

/** How a list reads its page's orders by id, with their owners joined or apart, and what a row becomes. */
interface PageRead<R, T> {
  /** SQLite: the page's ranges and rows in one statement. */
  merged: Merged<R>;
  joined: ById<R>;
  apart: ById<Omit<R, keyof Owner>>;
  make(row: Omit<R, keyof Owner>, owner?: Owner): T;
  /** A page of one status, too, is read by id (the ids first, or on SQLite the merged statement). */
  oneStatusByIds: boolean;
}

/** What a list's page needs of each row it reads by id. */
type PageRow = { id: unknown; user_id: unknown; order_number: string; status: OrderStatus };

/**
 * Newest first, keyset-paged on the id (ids grow with creation), so deep pages cost what the first
 * does. Several statuses are read as one index range each and merged here, which every database
 * serves from its (status, id) index without sorting; owners are read for the page only.
 */
export const listOrders = (db: Db, filter: OrderFilter): Promise<Order[]> =>
  listPage(db, filter, {
    merged: mergedJoinQuery,
    joined: joinByIdsQuery,
    apart: byIdsQuery,
    make: toOrder,
    oneStatusByIds: false,
  });

/**
 * `listOrders` for the list of settled deposits: its page reads only the columns that list shows
 * (9 of 17). On SQLite a page of one status goes by id as well (`mergedPage`), so that its rows
 * come narrow and with their owners joined. MariaDB and PostgreSQL would pay a round trip for the
 * ids first (245 → 272 and 735 → 817 µs), so there one status stays one statement.
 */
export const listSettledEntries = (db: Db, filter: OrderFilter): Promise<SettledEntry[]> =>
  listPage(db, filter, {
    merged: settledMergedQuery,
    joined: settledJoinByIdsQuery,
    apart: settledByIdsQuery,
    make: toSettledEntry,
    oneStatusByIds: db.dialect === 'sqlite',
  });

async function listPage<R extends PageRow, T>(
  db: Db,
  filter: OrderFilter,
  read: PageRead<R, T>,
): Promise<(Order | T)[]> {
  const ids = await idWindowOf(db.kysely, filter);
  if (ids === 'none') return [];
  const { statuses } = filter;
  // By id: several statuses (not all), or one when the read says so.
  const byIds =
    statuses !== undefined &&
    statuses.length > 0 &&
    statuses.length < ORDER_STATUSES.length &&
    (statuses.length > 1 || read.oneStatusByIds);
  if (!byIds) {
    // One status, or all of them: a single range read whole from its index, no merge.
    const status = statuses?.length === 1 ? statuses[0] : undefined;
    return withOwners(db.kysely, filter, await orderRange(db.kysely, filter, status, ids, false), toOrder);
  }
  if (db.dialect === 'sqlite') {
    // One statement reads one snapshot: no order can leave the statuses between its id and its row.
    const rows = await mergedRows(read.merged, db.kysely, filter, statuses, ids);
    return rows.map((row) => read.make(row));
  }
  for (let attempt = 1; ; attempt++) {
    const pageIds = await mergedPageIds(db.kysely, filter, statuses, ids);
    const page = await pageByIds(db, filter, statuses, pageIds, read);
    // An order that left the statuses between the two reads is not shown, and the shorter page
    // would say it is the last one: read it again.
    if (page.length === pageIds.length || attempt >= PAGE_READS_MAX) return page;
  }
}

const PAGE_READS_MAX = 3;

async function pageByIds<R extends PageRow, T>(
  db: Db,
  filter: OrderFilter,
  statuses: readonly OrderStatus[],
  pageIds: number[],
  read: PageRead<R, T>,
): Promise<T[]> {
  // PostgreSQL joins by hashing the whole users table (at 10,000 users it prices that below 64
  // index lookups), a cost that grows with the users, so there owners are read apart.
  if (db.dialect !== 'postgres')
    return inPageOrder(await rowsByIds(read.joined, db.kysely, pageIds), statuses).map((row) =>
      read.make(row),
    );
  const rows = inPageOrder(await rowsByIds(read.apart, db.kysely, pageIds), statuses);
  return withOwners(db.kysely, filter, rows, read.make);
}

/** Rows read without their owners' columns, made entries: the filter's owner, or one lookup for the page. */
async function withOwners<R extends { user_id: unknown; order_number: string }, T>(
  db: Kysely<Database>,
  { owner }: OrderFilter,
  rows: R[],
  make: (row: R, owner: Owner) => T,
): Promise<T[]> {
  const owners = owner
    ? new Map([[owner.id, { username: owner.username, wallet_address: owner.walletAddress }]])
    : await ownersOf(
        db,
        rows.map((r) => toSafeInt(r.user_id)),
      );
  return rows.map((row) => {
    const who = owners.get(toSafeInt(row.user_id));
    if (!who) throw new Error(`order ${row.order_number} has no owner`);
    return make(row, who);
  });
}

/**
 * Several statuses: each range reads ids alone (from its index), and only the orders that make the
 * page are then read whole — half the rows of reading every range whole for two statuses.
 */
async function mergedPageIds(
  db: Kysely<Database>,
  filter: OrderFilter,
  statuses: readonly OrderStatus[],
  ids: IdWindow | undefined,
): Promise<number[]> {
  const ranges = await Promise.all(statuses.map((status) => orderRange(db, filter, status, ids, true)));
  // An order that changed status between two range reads can be in both.
  return [...new Set(ranges.flat().map((r) => toSafeInt(r.id)))].sort((a, b) => b - a).slice(0, filter.limit);
}

type MergedShape = RangeFilters & { statuses: number };
type MergedParams = Omit<RangeParams, 'status'> & Record<`status${number}`, OrderStatus>;

/**
 * `mergedPageIds` and the rows by id as one statement, for SQLite: each status's range of ids
 * from its index, their union, then the page's rows by primary key. Its plan reads the ranges and
 * looks the rows up, with no sort. `/admin/transactions` (two statuses) over HTTP at 32
 * connections: 345–417 µs of service CPU a page, against 430–556 µs for three statements.
 * MariaDB plans the same statement as a scan of every user and a filesort, so it keeps three.
 */
const mergedPage = <R>(base: (db: Kysely<Database>) => SelectQueryBuilder<Database, 'orders' | 'users', R>) =>
  preparedShapes((shape: MergedShape) => (db: Kysely<Database>, p: MergedParams) => {
    const idsOf = (i: number) =>
      db
        .selectFrom(
          inRange(
            db
              .selectFrom('orders')
              .select('id')
              .where('status', '=', p[`status${i}`] as OrderStatus),
            shape,
            p,
          ).as('r'),
        )
        .select('r.id');
    let ids = idsOf(0);
    for (let i = 1; i < shape.statuses; i++) ids = ids.unionAll(idsOf(i));
    return base(db).where('orders.id', 'in', ids).orderBy('orders.id', 'desc').limit(inlinedInteger(p.limit));
  });

type Merged<R> = ReturnType<typeof mergedPage<R>>;

const mergedJoinQuery = mergedPage(ordersWithUser);
const settledMergedQuery = mergedPage(settledWithUser);

async function mergedRows<R>(
  query: Merged<R>,
  db: Kysely<Database>,
  filter: OrderFilter,
  statuses: readonly OrderStatus[],
  ids: IdWindow | undefined,
): Promise<R[]> {
  const range = rangeOf(filter, ids);
  const params: Record<string, unknown> = { ...range.params };
  statuses.forEach((status, i) => {
    params[`status${i}`] = status;
  });
  return (await query({ ...range.shape, statuses: statuses.length })(db, params as MergedParams)).rows;
}

/** Read after the ranges: an order that has left the statuses meanwhile is not shown. */
function inPageOrder<R extends { id: unknown; status: OrderStatus }>(
  rows: R[],
  statuses: readonly OrderStatus[],
) {
  return rows
    .filter((row) => statuses.includes(row.status))
    .sort((a, b) => toSafeInt(b.id) - toSafeInt(a.id));
}

/** One prepared statement per `IN` list length of the orders `base` selects, by primary key. */
const byIds = <R>(base: (db: Kysely<Database>) => SelectQueryBuilder<Database, 'orders' | 'users', R>) =>
  preparedShapes(
    ({ slots }: { slots: number }) =>
      (db: Kysely<Database>, p: Record<string, number>) =>
        base(db).where('orders.id', 'in', slotList(slots, p)),
  );

const byIdsQuery = byIds((db) => db.selectFrom('orders').select(ORDER_COLUMNS));
const joinByIdsQuery = byIds(ordersWithUser);
const settledByIdsQuery = byIds((db) => db.selectFrom('orders').select(SETTLED_ORDER_COLUMNS));
const settledJoinByIdsQuery = byIds(settledWithUser);

type ById<R> = (shape: {
  slots: number;
}) => (db: Kysely<Database>, p: Record<string, number>) => Promise<QueryResult<R>>;

/**
 * Orders by primary key, through a `…ByIdsQuery`: with their owners joined, on SQLite a third less
 * than reading the owners apart.
 */
async function rowsByIds<R>(query: ById<R>, db: Kysely<Database>, ids: number[]): Promise<R[]> {
  if (ids.length === 0) return [];
  const { slots, params } = paddedIds(ids);
  return (await query({ slots })(db, params)).rows;
}

export interface StatusTotals {
  status: OrderStatus;
  count: number;
  amount: number;
}

const TOTALS_SPAN_IDS = 50_000;

type TotalsRow = { status: OrderStatus; n: unknown; total: unknown };

/**
 * Count and sum per status, of every order or of those created since `sinceMs` (a day). All-time
 * totals are read in spans of ids: SQLite scans 1M orders in ~0.5 s, all of it on the event loop.
 * MariaDB and MySQL would walk a (status, …) index to skip sorting the groups and fetch every row
 * through it: at 1M orders 5.8 s for the totals and 4.4–5.9 s for a day, past DB_QUERY_TIMEOUT_MS.
 * Told not to, and to range over created_at for a day, they take 1.4–2.6 s and 0.16–0.29 s.
 */
export async function totalsByStatus(
  db: Db,
  sinceMs: number | undefined,
  spanIds = TOTALS_SPAN_IDS,
): Promise<StatusTotals[]> {
  if (sinceMs !== undefined) return sumTotals(await totalsQuery(db, { sinceMs }));
  const rows: TotalsRow[] = [];
  for await (const span of idSpans(db.kysely, 'orders', spanIds))
    rows.push(...(await totalsQuery(db, { span })));
  return sumTotals(rows);
}

const TOTALS = sql.raw('select status, count(*) as n, sum(amount) as total from orders');
const NO_HINT = sql.raw('');
// MariaDB/MySQL would walk a (status, …) index to skip sorting the groups; SQLite without key
// samples (connect.ts) guesses a quarter of the orders are a day old and does the same: at 1M
// orders 320 ms for a day instead of 1 ms. So a span keeps MariaDB off that walk, and a day is
// read from the created_at index on both.
const SPAN_HINT = {
  mysql: sql.raw(' ignore index for group by (orders_status_id_idx, orders_status_expires_idx)'),
  sqlite: NO_HINT,
  postgres: NO_HINT,
};
const DAY_HINT = {
  mysql: sql.raw(' force index (orders_created_at_idx)'),
  sqlite: sql.raw(' indexed by orders_created_at_idx'),
  postgres: NO_HINT,
};

async function totalsQuery(db: Db, where: { span: IdSpan } | { sinceMs: number }): Promise<TotalsRow[]> {
  const query =
    'span' in where
      ? sql<TotalsRow>`${TOTALS}${SPAN_HINT[db.dialect]} where id > ${where.span.after} and id <= ${where.span.upTo} group by status`
      : sql<TotalsRow>`${TOTALS}${DAY_HINT[db.dialect]} where created_at >= ${where.sinceMs} group by status`;
  return (await query.execute(db.kysely)).rows;
}

function sumTotals(rows: TotalsRow[]): StatusTotals[] {
  const byStatus = new Map<OrderStatus, StatusTotals>();
  for (const r of rows) {
    const sum = byStatus.get(r.status) ?? { status: r.status, count: 0, amount: 0 };
    sum.count += toSafeInt(r.n);
    sum.amount = toSafeInt(sum.amount + toSafeInt(r.total ?? 0));
    byStatus.set(r.status, sum);
  }
  return [...byStatus.values()];
}

/** Pending orders whose time is up, oldest first. Served by the (status, expires_at) index. */
export async function findExpiredPending(
  db: Kysely<Database>,
  nowMs: number,
  limit: number,
): Promise<Order[]> {
  const rows = await ordersWithUser(db)
    .where('orders.status', '=', 'pending')
    .where('orders.expires_at', '<=', nowMs)
    // Orders under a live claim (being worked on, or whose exclude just failed) are passed over, so
    // a run of failing exclusions never keeps the orders behind them from expiring.
    .where((eb) => eb.or([eb('orders.claimed_until', 'is', null), eb('orders.claimed_until', '<', nowMs)]))
    .orderBy('orders.expires_at')
    .limit(inlinedInteger(limit))
    .execute();
  return rows.map((row) => toOrder(row));
}

/**
 * Claims a pending order for `untilMs`; exactly one of several instances gets `true`. A claim that
 * ran out (its instance died) can be taken again.
 */
export async function claimPending(db: Kysely<Database>, orderId: number, nowMs: number, untilMs: number) {
  const result = await db
    .updateTable('orders')
    .set({ claimed_until: untilMs })
    .where('id', '=', orderId)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', nowMs)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
