import type {
  MysqlPool,
  MysqlPoolConnection,
  MysqlQueryResult,
  MysqlStream,
  MysqlStreamOptions,
  PostgresCursor,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryResult,
} from 'kysely';
import type { PoolConnection as MysqlRawConnection, Pool as MysqlRawPool } from 'mysql2';
import type pg from 'pg';

/**
 * Bounds on a database that is connected but does not answer (a hung server, a stalled network).
 * A query that runs out of time fails with a code `isDatabaseUnavailable` knows (503), and its
 * connection is discarded rather than returned to the pool: the driver still waits for that
 * query's answer, so anything sent after it on the same connection would wait too.
 */
export class DatabaseTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(what: string) {
    super(`database ${what} timed out`);
    this.name = 'DatabaseTimeout';
  }
}

/**
 * PostgreSQL's server cancels a statement at the bound itself (`statement_timeout`), which keeps
 * the connection usable; the client waits this much longer before it gives up on the connection.
 */
export const CLIENT_GRACE_MS = 500;

// The codes and messages with which the drivers report their own client-side timeouts.
const MYSQL_QUERY_TIMEOUT = 'PROTOCOL_SEQUENCE_TIMEOUT';
const PG_QUERY_TIMEOUT = 'Query read timeout';

const brokenConnection = () => new DatabaseTimeout('connection (discarded after a query timeout)');

class BoundedMysqlConnection implements MysqlPoolConnection {
  private broken = false;

  constructor(
    private readonly raw: MysqlRawConnection,
    private readonly timeoutMs: number,
  ) {}

  query(sql: string, parameters: unknown[]): { stream: <T>(options: MysqlStreamOptions) => MysqlStream<T> };
  query(
    sql: string,
    parameters: unknown[],
    callback: (error: unknown, result: MysqlQueryResult) => void,
  ): void;
  query(
    sql: string,
    parameters: unknown[],
    callback?: (error: unknown, result: MysqlQueryResult) => void,
  ): unknown {
    if (!callback) return this.raw.query(sql, parameters);
    if (this.broken) return void process.nextTick(() => callback(brokenConnection(), []));
    this.raw.query({ sql, timeout: this.timeoutMs }, parameters, (err: unknown, result: unknown) => {
      if ((err as { code?: unknown } | null)?.code === MYSQL_QUERY_TIMEOUT) this.broken = true;
      callback(err, result as MysqlQueryResult);
    });
  }

  release(): void {
    if (this.broken) this.raw.destroy();
    else this.raw.release();
  }
}

/**
 * mysql2's pool with every query bounded by `timeoutMs` (the driver's own per-query timeout), and
 * the wait for a free connection bounded by `acquireTimeoutMs` (mysql2 would wait forever). One
 * wrapper per raw connection, so Kysely still recognises a connection it has set up before.
 */
export function boundedMysqlPool(raw: MysqlRawPool, timeoutMs: number, acquireTimeoutMs: number): MysqlPool {
  const wrappers = new WeakMap<MysqlRawConnection, BoundedMysqlConnection>();
  const wrap = (conn: MysqlRawConnection) => {
    let wrapper = wrappers.get(conn);
    if (!wrapper) {
      wrapper = new BoundedMysqlConnection(conn, timeoutMs);
      wrappers.set(conn, wrapper);
    }
    return wrapper;
  };
  return {
    getConnection(callback) {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        callback(new DatabaseTimeout('connection wait'), undefined as never);
      }, acquireTimeoutMs);
      raw.getConnection((err, conn) => {
        if (settled) return void conn?.release();
        settled = true;
        clearTimeout(timer);
        if (err) callback(err, undefined as never);
        else callback(null, wrap(conn));
      });
    },
    end: (callback) => raw.end(callback),
  };
}

class BoundedPgClient implements PostgresPoolClient {
  private broken = false;

  constructor(private readonly raw: pg.PoolClient) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sql: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // Kysely asks for cursors only when the dialect is given a cursor class, which ours is not.
    if (typeof sql !== 'string') throw new Error('cursors are not configured');
    return this.run(sql, parameters ?? []);
  }

  private async run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.broken) throw brokenConnection();
    try {
      const { command, rowCount, rows } = await this.raw.query(sql, [...parameters]);
      return { command: command as PostgresQueryResult<R>['command'], rowCount: rowCount ?? 0, rows };
    } catch (err) {
      if ((err as { message?: unknown } | null)?.message === PG_QUERY_TIMEOUT) this.broken = true;
      throw err;
    }
  }

  release(destroy?: boolean): void {
    // pg-pool closes a client released with a truthy argument instead of keeping it.
    this.raw.release(destroy === true || this.broken);
  }
}

/**
 * pg's pool, whose clients carry `query_timeout` (set in the pool's config), with a client whose
 * query timed out closed on release instead of going back to the pool.
 */
export function boundedPgPool(raw: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, BoundedPgClient>();
  return {
    async connect() {
      const client = await raw.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new BoundedPgClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => raw.end(),
  };
}
