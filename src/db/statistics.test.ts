import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { migrateToLatest } from './migrations.js';

const count = async (db: ReturnType<typeof connect>, table: string) =>
  (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db.kysely)).rows[0]?.n;

describe('SQLite planner statistics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-stats-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
});
