import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { explain, QueryRecorder } from '../../bench/lib/plans.js';
import { totalsByStatus } from '../orders/orders.repository.js';
import { connect, WAL_CHECKPOINT_PAGES } from './connect.js';
import { migrateToLatest } from './migrations.js';

const count = async (db: ReturnType<typeof connect>, table: string) =>
  (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db.kysely)).rows[0]?.n;

describe('SQLite connection settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-stats-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits durably, checks foreign keys, and keeps savepoint journals in memory', async () => {
    const db = connect(`sqlite:${join(dir, 'settings.db')}`);
    try {
      const pragma = async (name: string) =>
        Object.values(
          (await sql<Record<string, unknown>>`pragma ${sql.raw(name)}`.execute(db.kysely)).rows[0] ?? {},
        )[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL: every commit fsynced
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('temp_store')).toBe(2); // MEMORY
      expect(await pragma('wal_autocheckpoint')).toBe(WAL_CHECKPOINT_PAGES);
    } finally {
      await db.close();
    }
  });

  it('checkpoints the WAL once it holds that many pages, and then reuses it from its start', async () => {
    const path = join(dir, 'wal.db');
    const db = connect(`sqlite:${path}`);
    try {
      await sql`create table filler (x blob)`.execute(db.kysely);
      const rowsPerCommit = 250; // a page each
      // Three times the checkpoint's interval: without checkpoints the WAL would hold 24,000 pages.
      for (let i = 0; i < (3 * WAL_CHECKPOINT_PAGES) / rowsPerCommit; i++) {
        await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${rowsPerCommit})
          insert into filler (x) select randomblob(3900) from n`.execute(db.kysely);
      }
      const framesMax = WAL_CHECKPOINT_PAGES + 2 * rowsPerCommit;
      expect(statSync(`${path}-wal`).size).toBeLessThan(32 + framesMax * (24 + 4096));
      expect(statSync(`${path}-wal`).size).toBeGreaterThan((WAL_CHECKPOINT_PAGES / 2) * 4096);
    } finally {
      await db.close();
    }
  });

  it('keeps the row counts per index and drops the samples of key values when it opens', async () => {
    const url = `sqlite:${join(dir, 'stats.db')}`;
    const first = connect(url);
    await migrateToLatest(first);
    const users = Array.from({ length: 300 }, (_, i) => ({
      username: `user${i}`,
      created_at: i,
      updated_at: i,
    }));
    await first.kysely.insertInto('users').values(users).execute();
    // As an operator's ANALYZE in the sqlite3 shell would leave it: samples included.
    await sql`analyze`.execute(first.kysely);
    expect(await count(first, 'sqlite_stat1')).toBeGreaterThan(0);
    expect(await count(first, 'sqlite_stat4')).toBeGreaterThan(0);
    await first.close();

    const reopened = connect(url);
    try {
      expect(await count(reopened, 'sqlite_stat1')).toBeGreaterThan(0);
      expect(await count(reopened, 'sqlite_stat4')).toBe(0);
    } finally {
      await reopened.close();
    }
  });

  it('reads a day’s totals through the created_at index, not through every order', async () => {
    const url = `sqlite:${join(dir, 'today.db')}`;
    const seeding = connect(url);
    await migrateToLatest(seeding);
    const user = await seeding.kysely
      .insertInto('users')
      .values({ username: 'kim', created_at: 0, updated_at: 0 })
      .executeTakeFirstOrThrow();
    const orders = Array.from({ length: 2000 }, (_, i) => ({
      order_number: `N${i}`,
      user_id: Number(user.insertId),
      billing_name: '홍길동',
      amount: 1000,
      status: i % 2 ? ('matched' as const) : ('completed' as const),
      created_at: i,
      updated_at: i,
      expires_at: i,
    }));
    for (let i = 0; i < orders.length; i += 200)
      await seeding.kysely
        .insertInto('orders')
        .values(orders.slice(i, i + 200))
        .execute();
    await seeding.close();

    // Opened again, with the statistics the service plans with.
    const db = connect(url);
    try {
      const recorder = new QueryRecorder(db);
      const totals = await totalsByStatus({ ...db, kysely: db.kysely.withPlugin(recorder) }, 1990);
      expect(totals.reduce((n, t) => n + t.count, 0)).toBe(10);
      const [query] = recorder.queries;
      if (!query) throw new Error('no query ran');
      const plan = await explain(db, query);
      expect(plan.lines.join(' | ')).toMatch(/USING INDEX orders_created_at_idx \(created_at>\?\)/);
    } finally {
      await db.close();
    }
  });
});
