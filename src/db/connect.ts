import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import { FifoLock } from './fifo-lock.js';
import { GroupCommit } from './group-commit.js';
import { routeDirectly } from './prepared.js';
import type { Database } from './schema.js';
import { ArrayRowsSqliteConnection } from './sqlite-rows.js';
import { boundedMysqlPool, boundedPgPool, CLIENT_GRACE_MS } from './timeouts.js';
import { toSafeInt } from './values.js';

export type Dialect = 'sqlite' | 'mysql' | 'postgres';

// A driver is loaded only for the database in use: the others would cost memory and start-up time.
const requireDriver = createRequire(import.meta.url);
const sqliteDriver = () => requireDriver('better-sqlite3') as typeof SQLite;
const mysqlDriver = () => requireDriver('mysql2') as typeof import('mysql2');
const pgDriver = () => requireDriver('pg') as typeof import('pg');

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** SQLite only: write transactions share commits (src/db/group-commit.ts). */
  readonly groupCommit?: GroupCommit;
  close(): Promise<void>;
}

export interface ConnectOptions {
  poolSize?: number;
  /** Opening a connection, and waiting for a free one from the pool. */
  connectTimeoutMs?: number;
  /** MySQL/PostgreSQL: one query (src/db/timeouts.ts); 0 or unset = unbounded (migrations, CLI). */
  queryTimeoutMs?: number;
  sqliteBusyTimeoutMs?: number;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return 'mysql';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(':')[0]}`);
}

/**
 * Every write transaction takes the write lock up front. With a deferred BEGIN, two processes that
 * both read and then write would deadlock and one would fail with SQLITE_BUSY despite the timeout.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  /** `turns`: taken before Kysely's own lock, which is then never contended (see fifo-lock.ts). */
  constructor(
    database: SQLite.Database,
    private readonly connection: DatabaseConnection,
    private readonly turns: FifoLock,
  ) {
    super({ database });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.turns.lock();
    // Kysely's lock, taken and released as Kysely expects; its own connection object goes unused.
    await super.acquireConnection();
    return this.connection;
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.turns.unlock();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: SQLite.Database,
    private readonly connection: DatabaseConnection,
    private readonly turns: FifoLock,
  ) {
    super({ database });
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.database, this.connection, this.turns);
  }
}

const STATEMENT_CACHE_MAX = 500;
export const WAL_CHECKPOINT_PAGES = 8000;

/**
 * Kysely prepares every query anew; preparing costs more than running a small one. Queries are
 * parameterised, so their texts repeat and their statements can be reused.
 */
function cachePreparedStatements(database: SQLite.Database): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, SQLite.Statement>();
  database.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
      statement = prepare(source);
      cache.set(source, statement);
    }
    return statement;
  }) as SQLite.Database['prepare'];
}

/**
 * Lets the planner use statistics it gathers itself (cheap, and it keeps plans stable as data
 * grows): ANALYZE's row counts per index, without its samples of key values (`sqlite_stat4`).
 * With samples, SQLite plans a statement again whenever a value compared with a sampled column is
 * bound — every run of most of the service's queries: a page of history cost a quarter again as much.
 */
function gatherPlannerStatistics(database: SQLite.Database): void {
  database.pragma('optimize = 0x10002');
  const sampled = database.prepare("select 1 from sqlite_schema where name = 'sqlite_stat4'").get();
  if (sampled && database.prepare('select 1 from sqlite_stat4 limit 1').get()) {
    // ANALYZE sqlite_schema reloads the statistics this connection plans with.
    database.exec('delete from sqlite_stat4; analyze sqlite_schema');
  }
}

function openSqlite(
  url: string,
  options: ConnectOptions,
): { kysely: Kysely<Database>; groupCommit: GroupCommit } {
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const SQLiteDatabase = sqliteDriver();
  const database = new SQLiteDatabase(path, { timeout: options.sqliteBusyTimeoutMs ?? 5000 });
  // WAL lets readers run beside the writer; FULL fsyncs every commit, so an acknowledged deposit
  // survives power loss.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  // Savepoints (a group commit's units) keep the pages they change in a sub-journal, only to roll a
  // unit back inside its transaction; in a file that was a write() per page, 17% of a webhook's CPU.
  // The WAL alone makes commits durable, so the sub-journal needs no disk.
  database.pragma('temp_store = MEMORY');
  // A checkpoint copies every page the WAL holds back into the database file, on the event loop,
  // within the COMMIT that crosses the limit. The pages a burst of deposits and webhooks changes
  // are mostly the same few (the ends of tables and indexes, the users' rows), so a longer WAL copies
  // each of them once for more commits: at 8,000 pages rather than SQLite's 1,000, commits took
  // 15–25% less time in all. The WAL stays at most ~32 MiB on disk and is reused after each checkpoint.
  database.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  gatherPlannerStatistics(database);
  cachePreparedStatements(database);
  // The one connection: Kysely's driver hands it to every query, the group commit to its units.
  const connection = new ArrayRowsSqliteConnection(database);
  const turns = new FifoLock();
  const kysely = new Kysely<Database>({ dialect: new DurableSqliteDialect(database, connection, turns) });
  // better-sqlite3 runs a statement to its end before returning, so while nobody holds the
  // connection (no transaction is open on it) a prepared query can run on it at once, alone.
  routeDirectly(kysely, connection, () => !turns.held);
  return { kysely, groupCommit: new GroupCommit(kysely, connection) };
}

function openMysql(url: string, options: ConnectOptions): Kysely<Database> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const pool = mysqlDriver().createPool({
    uri: url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: options.poolSize ?? 10,
    connectTimeout: connectTimeoutMs,
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    // A batch's statements travel together (src/db/trips.ts). Every value is bound, never spliced.
    multipleStatements: true,
  });
  return new Kysely<Database>({
    dialect: new MysqlDialect({
      pool: options.queryTimeoutMs ? boundedMysqlPool(pool, options.queryTimeoutMs, connectTimeoutMs) : pool,
      // A conditional update that loses a race must see the winner's row when it reads it again.
      onCreateConnection: async (conn) => {
        await conn.executeQuery(CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
      },
    }),
  });
}

function openPostgres(url: string, options: ConnectOptions): Kysely<Database> {
  const timeoutMs = options.queryTimeoutMs || undefined;
  const pg = pgDriver();
  // BIGINT (20) and NUMERIC (1700, what SUM returns) arrive as text; money above 2^53 must fail loudly.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 20 || oid === 1700 ? (text: string) => toSafeInt(text) : pg.types.getTypeParser(oid, format),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // Bounds the wait for a free client too, not only opening one.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // The server cancels a slow statement and the connection stays usable; the client gives up
    // only when no answer comes at all (a hung server or network).
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs && timeoutMs + CLIENT_GRACE_MS,
    types: types as import('pg').CustomTypesConfig,
  });
  // An idle connection that the server drops (restart, failover, admin termination) is reported
  // as a pool 'error'. The pool has already discarded it and the next query opens a fresh one;
  // without a listener Node treats the event as an uncaught exception and the process exits.
  pool.on('error', () => undefined);
  // The same for a connection that is checked out when it drops (inside a transaction): the query
  // in flight fails on its own, and the event must not take the process down.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: timeoutMs ? boundedPgPool(pool) : pool }),
  });
}

export function connect(url: string, options: ConnectOptions = {}): Db {
  const dialect = dialectOf(url);
  const { kysely, groupCommit } =
    dialect === 'sqlite'
      ? openSqlite(url, options)
      : {
          kysely: dialect === 'mysql' ? openMysql(url, options) : openPostgres(url, options),
          groupCommit: undefined,
        };
  return { kysely, dialect, groupCommit, close: () => kysely.destroy() };
}
