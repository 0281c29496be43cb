import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { connect } from '../src/db/connect.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';

/** DB_POOL_SIZE reaches the driver: an instance never holds more connections than it allows. */
for (const { dialect, available } of DIALECTS.filter((d) => d.dialect !== 'sqlite')) {
  describe.skipIf(!available)(`connection pool [${dialect}]`, () => {
    it('runs concurrent queries on at most poolSize connections', async () => {
      const testDb = await createTestDatabase(dialect);
      const db = connect(testDb.url, { poolSize: 3 });
      try {
        const query =
          dialect === 'mysql'
            ? sql<{ id: number }>`select connection_id() as id, sleep(0.05) as s`
            : sql<{ id: number }>`select pg_backend_pid() as id, pg_sleep(0.05) as s`;
        const ids = await Promise.all(
          Array.from({ length: 12 }, async () => (await query.execute(db.kysely)).rows[0]?.id),
        );
        expect(new Set(ids).size).toBe(3);
      } finally {
        await db.close();
        await testDb.drop();
      }
    });
  });
}
