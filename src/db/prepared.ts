import type { DatabaseConnection, DialectAdapter, QueryId, RawBuilder, RootOperationNode } from 'kysely';
import {
  type Compilable,
  type CompiledQuery,
  createQueryId,
  type Kysely,
  PostgresAdapter,
  type QueryResult,
  sql,
} from 'kysely';
import type { Database } from './schema.js';

type Binding = { name: string } | { value: unknown };

interface Compiled {
  /** The SQL text around its inlined integers: one more piece than `inlined` has names. */
  pieces: string[];
  /** The parameters written into the text, in order. */
  inlined: string[];
  bindings: Binding[];
  /** The query's tree, its values markers: only plugins read it, and queries meet none here. */
  node: RootOperationNode;
  queryId: QueryId;
}

const MARK = '\u0000param:';
const INLINE_MARK = '\u0000inline:';
const markOf = (name: string) => `${MARK}${name}\u0000`;
const INLINED = new RegExp(`${INLINE_MARK}([^\u0000]*)\u0000`);

function integerText(value: unknown): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`an inlined value must be a whole number (got ${String(value)})`);
  return String(value);
}

/**
 * A whole number written into the SQL text instead of bound, for LIMIT. SQLite's planner reads the
 * value bound to `LIMIT ?`, so it marks the statement to be parsed and planned again whenever that
 * value is bound, which is every time it runs: a page of history cost nearly twice what it does
 * with the number in the text. Each distinct number makes its own statement text, prepared once.
 */
export function inlinedInteger(value: number): RawBuilder<number> {
  const given: unknown = value;
  // While a prepared query is compiled, its parameters are markers: the number comes per call.
  if (typeof given === 'string' && given.startsWith(MARK))
    return sql.raw<number>(INLINE_MARK + given.slice(MARK.length));
  return sql.raw<number>(integerText(given));
}

/** Where a database's prepared queries may skip Kysely's executor: `ready()` says when. */
interface DirectRoute {
  connection: DatabaseConnection;
  ready(): boolean;
}
const directRoutes = new WeakMap<Kysely<Database>, DirectRoute>();
const always = () => true;

/**
 * Sends the prepared queries of `db` straight to `connection` whenever `ready()` holds. Kysely
 * passes every query through fresh executors and a chain of async functions, and outside a
 * transaction through its connection locks too: on SQLite, whose driver answers synchronously,
 * that allocated more per statement than the statement itself (29% of all a deposit allocated),
 * and under a few hundred concurrent requests the collector's work grows with it.
 */
export function routeDirectly(
  db: Kysely<Database>,
  connection: DatabaseConnection,
  ready: () => boolean,
): void {
  directRoutes.set(db, { connection, ready });
}

/**
 * Runs `work` with the prepared queries of `trx` sent straight to `connection`, the one its
 * transaction holds. Only for the length of `work`: afterwards the transaction is over and its
 * queries must meet Kysely's own checks again.
 */
export async function onItsConnection<T>(
  trx: Kysely<Database>,
  connection: DatabaseConnection,
  work: () => Promise<T>,
): Promise<T> {
  routeDirectly(trx, connection, always);
  try {
    return await work();
  } finally {
    directRoutes.delete(trx);
  }
}

function compile<P extends object>(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, params: P) => Compilable<unknown>,
): Compiled {
  // Every parameter read while building returns a unique marker; where each marker lands among
  // the compiled parameters says which argument binds there.
  const markers = new Proxy({} as P, { get: (_target, name) => markOf(String(name)) });
  const query = build(db, markers).compile();
  if (query.sql.includes(MARK)) throw new Error(`a prepared query inlined a parameter: ${query.sql}`);
  const bindings = query.parameters.map((value): Binding => {
    if (typeof value === 'string' && value.startsWith(MARK)) return { name: value.slice(MARK.length, -1) };
    return { value };
  });
  // split() with a capturing group alternates text and the names between the markers.
  const split = query.sql.split(INLINED);
  return {
    pieces: split.filter((_, i) => i % 2 === 0),
    inlined: split.filter((_, i) => i % 2 === 1),
    bindings,
    node: query.query,
    queryId: createQueryId(),
  };
}

function sqlFor(compiled: Compiled, values: Record<string, unknown>): string {
  const { pieces, inlined } = compiled;
  let text = pieces[0] ?? '';
  for (let i = 0; i < inlined.length; i++)
    text += integerText(values[inlined[i] as string]) + (pieces[i + 1] ?? '');
  return text;
}

/** A prepared query: called, it runs; `bound` gives it with its parameters, unsent. */
export interface PreparedQuery<P, R> {
  (db: Kysely<Database>, params: P): Promise<QueryResult<R>>;
  bound(db: Kysely<Database>, params: P): CompiledQuery<R>;
}

/**
 * A query built and compiled once per database dialect; each call only binds its parameters.
 * Building and compiling a Kysely query costs several times what SQLite takes to run a small one,
 * and the hot paths run the same few shapes over and over. `build` must not branch on the values
 * of `params` (they are markers while it runs), and must pass each one as a bound value or
 * through `inlinedInteger`.
 */
export function prepared<P extends object, R>(
  build: (db: Kysely<Database>, params: P) => Compilable<R>,
): PreparedQuery<P, R> {
  const byAdapter = new WeakMap<DialectAdapter, Compiled>();
  const bound = (db: Kysely<Database>, params: P): CompiledQuery<R> => {
    const executor = db.getExecutor();
    // A plugin may rewrite each query as it is compiled: such a database gets every query built anew.
    if (executor.plugins.length > 0) return build(db, params).compile();
    // Transactions share their database's adapter, so each dialect compiles the query once.
    const adapter = executor.adapter;
    let compiled = byAdapter.get(adapter);
    if (!compiled) {
      compiled = compile(db, build);
      byAdapter.set(adapter, compiled);
    }
    const values = params as Record<string, unknown>;
    const parameters = compiled.bindings.map((b) => ('name' in b ? values[b.name] : b.value));
    // A plain object: CompiledQuery.raw freezes three objects and makes a query id on every call.
    return { sql: sqlFor(compiled, values), query: compiled.node, parameters, queryId: compiled.queryId };
  };
  const run = (db: Kysely<Database>, params: P) => runBound(db, bound(db, params));
  return Object.assign(run, { bound });
}

/** Runs a bound query on `db`, straight on its connection where `routeDirectly` allows. */
export function runBound<R>(db: Kysely<Database>, query: CompiledQuery<R>): Promise<QueryResult<R>> {
  const route = directRoutes.get(db);
  if (!route?.ready()) return db.executeQuery<R>(query);
  // A driver may throw before it returns a promise; callers expect a rejection, as from Kysely.
  try {
    return route.connection.executeQuery<R>(query);
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * A family of prepared queries whose shape (which conditions it has, how many values a list holds)
 * is chosen per call: one prepared query per shape, made the first time that shape is asked for.
 */
export function preparedShapes<S extends Record<string, boolean | number>, P extends object, R>(
  build: (shape: S) => (db: Kysely<Database>, params: P) => Compilable<R>,
) {
  const byShape = new Map<string, PreparedQuery<P, R>>();
  return (shape: S) => {
    // In the shape's own key order, unsorted: a shape written with its keys in another order gets
    // a prepared query of its own, the same SQL, which costs one more compile and nothing else.
    let key = '';
    for (const name in shape) key += `${name}=${shape[name]},`;
    let query = byShape.get(key);
    if (!query) {
      query = prepared(build(shape));
      byShape.set(key, query);
    }
    return query;
  };
}

/**
 * Whether a write should return what it wrote (RETURNING). Only PostgreSQL: it reports no insert id
 * otherwise, and a value read back costs it a round trip; MySQL has no RETURNING, and on SQLite,
 * in-process, a RETURNING costs more than a second statement.
 */
export const returnsWhatItWrites = (db: Kysely<Database>): boolean =>
  db.getExecutor().adapter instanceof PostgresAdapter;
