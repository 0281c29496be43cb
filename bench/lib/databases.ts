import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../src/db/connect.js';
import { databaseServerPids } from './cpu.js';

/** Like test/support/databases.ts, without its probe at import: a fresh database per use, dropped after. */
export const MYSQL_ADMIN_URL =
  process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ??
  process.env.TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
/** Where SQLite files go; the default temporary directory is on the same disk as the rest here. */
export const BENCH_TMPDIR = process.env.BENCH_TMPDIR ?? tmpdir();

export interface BenchDatabase {
  dialect: Dialect;
  url: string;
  /** A scratch directory for the service's DATA_DIR (and the SQLite file). */
  dir: string;
  drop(): Promise<void>;
}

async function withMysql<T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 2000 });
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

async function withPostgres<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The processes of the database server, when it runs on this machine (none for SQLite). */
export function localServerPids(dialect: Dialect): number[] {
  return databaseServerPids(dialect, dialect === 'mysql' ? MYSQL_ADMIN_URL : POSTGRES_ADMIN_URL);
}

export async function reachable(dialect: Dialect): Promise<boolean> {
  if (dialect === 'sqlite') return true;
  try {
    await (dialect === 'mysql' ? withMysql(async () => undefined) : withPostgres(async () => undefined));
    return true;
  } catch {
    return false;
  }
}

/** The server's version and the settings that decide how durable (and how fast) a commit is. */
export async function serverInfo(dialect: Dialect): Promise<Record<string, string>> {
  if (dialect === 'sqlite') {
    const db = new Database(':memory:');
    const row = db.prepare('select sqlite_version() as v').get() as { v: string };
    db.close();
    return { version: `SQLite ${row.v}`, synchronous: 'FULL (set by the service)', journal_mode: 'WAL' };
  }
  if (dialect === 'mysql') {
    return withMysql(async (c) => {
      const [rows] = await c.query(
        'select version() as version, @@innodb_flush_log_at_trx_commit as flush, @@innodb_buffer_pool_size as pool',
      );
      const r = (rows as Record<string, unknown>[])[0] ?? {};
      return {
        version: String(r.version),
        innodb_flush_log_at_trx_commit: String(r.flush),
        innodb_buffer_pool_size: String(r.pool),
      };
    });
  }
  return withPostgres(async (c) => {
    const show = async (name: string) => String((await c.query(`show ${name}`)).rows[0]?.[name]);
    return {
      version: (await c.query('select version() as v')).rows[0]?.v as string,
      fsync: await show('fsync'),
      synchronous_commit: await show('synchronous_commit'),
      shared_buffers: await show('shared_buffers'),
    };
  });
}

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createDatabase(dialect: Dialect): Promise<BenchDatabase> {
  const name = `dg_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dir = join(BENCH_TMPDIR, name);
  mkdirSync(dir, { recursive: true });
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return { dialect, dir, url: `sqlite:${join(dir, 'bench.db')}`, drop: async () => removeDir() };
  }
  if (dialect === 'mysql') {
    await withMysql((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`));
    return {
      dialect,
      dir,
      url: withDatabase(MYSQL_ADMIN_URL, name),
      drop: async () => {
        await withMysql((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
        removeDir();
      },
    };
  }
  await withPostgres((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    dialect,
    dir,
    url: withDatabase(POSTGRES_ADMIN_URL, name),
    drop: async () => {
      await withPostgres((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      removeDir();
    },
  };
}
