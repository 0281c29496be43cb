import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../src/db/connect.js';

/**
 * The dialect loop: every integration suite runs once per database. A server that is not running
 * is skipped with a note, except under CI=true, where that is a failure.
 */
export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ALL: Dialect[] = ['sqlite', 'mysql', 'postgres'];

export interface TestDatabase {
  dialect: Dialect;
  url: string;
  drop(): Promise<void>;
}

async function mysqlReachable(): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 2000 });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probe(): Promise<{ dialect: Dialect; available: boolean }[]> {
  const wanted = (process.env.TEST_DATABASES ?? ALL.join(',')).split(',').map((s) => s.trim()) as Dialect[];
  const out = [];
  for (const dialect of ALL.filter((d) => wanted.includes(d))) {
    const available =
      dialect === 'sqlite' ? true : dialect === 'mysql' ? await mysqlReachable() : await postgresReachable();
    if (!available && process.env.CI === 'true') {
      throw new Error(`${dialect} is not reachable, and CI=true requires every database`);
    }
    if (!available) console.warn(`[tests] ${dialect} server not reachable: its runs are skipped`);
    out.push({ dialect, available });
  }
  return out;
}

export const DIALECTS = await probe();

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const uniqueName = () => `dg_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const name = uniqueName();
  if (dialect === 'sqlite') {
    const dir = join(tmpdir(), name);
    return {
      dialect,
      url: `sqlite:${join(dir, 'test.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (dialect === 'mysql') {
    const conn = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await conn.end();
    return {
      dialect,
      url: withDatabase(MYSQL_ADMIN_URL, name),
      drop: async () => {
        const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await c.end();
      },
    };
  }
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    dialect,
    url: withDatabase(POSTGRES_ADMIN_URL, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
