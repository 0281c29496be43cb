import { type CompiledQuery, type Kysely, CompiledQuery as Query, type QueryResult } from 'kysely';
import type { Db } from './connect.js';
import { runBound } from './prepared.js';
import type { Database } from './schema.js';
import { inTransaction, retryingConflicts } from './tx.js';

/** Queries sent together, and what their answers mean to the caller. */
export interface Statement<T> {
  queries: CompiledQuery[];
  /** The answers of `queries`, in their order. */
  read(results: QueryResult<unknown>[]): T;
  /** What a failure among `queries` means to the caller, when this statement knows; else undefined. */
  failure?(err: unknown): Error | undefined;
}

/** A statement of one query. */
export function statement<R, T>(
  query: CompiledQuery<R>,
  read: (result: QueryResult<R>) => T,
  failure?: (err: unknown) => Error | undefined,
): Statement<T> {
  return { queries: [query], read: ([result]) => read(result as QueryResult<R>), failure };
}

type Answers<S extends readonly Statement<unknown>[]> = {
  [K in keyof S]: S[K] extends Statement<infer T> ? T : never;
};

/**
 * A transaction's round trips: each `send` is one. The last may carry the COMMIT (`commit: true`);
 * otherwise the COMMIT goes alone once the work returns.
 */
export interface Trips {
  send<const S extends readonly Statement<unknown>[]>(
    statements: S,
    options?: { commit?: boolean },
  ): Promise<Answers<S>>;
}

const BEGIN = Query.raw('begin');
const COMMIT = Query.raw('commit');
const ROLLBACK = Query.raw('rollback');

function answers<S extends readonly Statement<unknown>[]>(
  statements: S,
  results: QueryResult<unknown>[],
): Answers<S> {
  let at = 0;
  return statements.map((s) => {
    const mine = results.slice(at, at + s.queries.length);
    at += s.queries.length;
    return s.read(mine);
  }) as Answers<S>;
}

function meaning(statements: readonly Statement<unknown>[], err: unknown): unknown {
  for (const s of statements) {
    const meant = s.failure?.(err);
    if (meant) return meant;
  }
  return err;
}

/** mysql2's answer to one statement of several: rows, or the header a write answers with. */
function mysqlResult(raw: unknown): QueryResult<unknown> {
  if (Array.isArray(raw)) return { rows: raw };
  const header = raw as { affectedRows?: number; insertId?: number | bigint };
  return {
    rows: [],
    numAffectedRows: header.affectedRows === undefined ? undefined : BigInt(header.affectedRows),
    insertId: header.insertId === undefined ? undefined : BigInt(header.insertId),
  };
}

/**
 * Several statements in one round trip (the pool allows multiple statements; every value in them
 * is bound, never spliced into the text). The server runs them in order and stops at the first
 * that fails, whose error this rejects with.
 */
async function oneTrip(conn: Kysely<Database>, queries: CompiledQuery[]): Promise<QueryResult<unknown>[]> {
  if (queries.length === 1) return [await conn.executeQuery(queries[0] as CompiledQuery)];
  const { rows } = await conn.executeQuery(
    Query.raw(
      queries.map((q) => q.sql).join(';\n'),
      queries.flatMap((q) => [...q.parameters]),
    ),
  );
  return rows.map(mysqlResult);
}

/** MySQL/MariaDB: BEGIN rides with the first trip and COMMIT with the last. */
function mysqlTrips<T>(db: Db, work: (trips: Trips) => Promise<T>): Promise<T> {
  return db.kysely.connection().execute(async (conn) => {
    let open = false;
    let committed = false;
    const trips: Trips = {
      async send(statements, options) {
        if (committed) throw new Error('a statement was sent after its transaction committed');
        const queries = statements.flatMap((s) => s.queries);
        const commit = options?.commit === true;
        if (!open && queries.length === 0) {
          committed = commit;
          return answers(statements, []);
        }
        const begin = open ? [] : [BEGIN];
        open = true;
        let results: QueryResult<unknown>[];
        try {
          results = await oneTrip(conn, [...begin, ...queries, ...(commit ? [COMMIT] : [])]);
        } catch (err) {
          throw meaning(statements, err);
        }
        committed = commit;
        return answers(statements, results.slice(begin.length));
      },
    };
    try {
      const value = await work(trips);
      if (!committed) await trips.send([], { commit: true });
      return value;
    } catch (err) {
      // After a failed statement the transaction is still open (or the server already undid it):
      // either way nothing of it may stay. A broken connection is discarded by its pool instead.
      if (open && !committed) await conn.executeQuery(ROLLBACK).catch(() => undefined);
      throw err;
    }
  });
}

/** Elsewhere: one statement after another inside an ordinary transaction. */
function sequentialTrips(trx: Kysely<Database>): Trips {
  return {
    async send(statements) {
      const results: QueryResult<unknown>[] = [];
      try {
        for (const s of statements) for (const q of s.queries) results.push(await runBound(trx, q));
      } catch (err) {
        throw meaning(statements, err);
      }
      return answers(statements, results);
    },
  };
}

/**
 * One transaction of a few round trips, however many statements each carries. On MySQL/MariaDB a
 * trip's statements go in one packet, so that a batch's round trips do not each wait on the
 * event loop and the server's wake-up; elsewhere they run one by one in `inTransaction`. Like
 * there, a deadlock or lock timeout runs `work` again, so it must have no effects outside it.
 */
export function inTrips<T>(db: Db, work: (trips: Trips) => Promise<T>): Promise<T> {
  if (db.dialect !== 'mysql') return inTransaction(db, (trx) => work(sequentialTrips(trx)));
  return retryingConflicts(() => mysqlTrips(db, work));
}
