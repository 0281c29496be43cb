import type { KyselyPlugin, PluginTransformResultArgs, QueryResult, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/databases.js';
import { connect, type Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrations.js';
import type { OrderStatus } from '../domain/order.js';
import { listSettledEntries } from './orders.repository.js';

/**
 * After the page's first read of ids, moves one order to another status through a connection of
 * its own, as another process writing in between would.
 */
class MoveAfterIdsRead implements KyselyPlugin {
  private moved = false;
  constructor(
    private readonly other: Db,
    private readonly orderId: number,
    private readonly to: OrderStatus,
  ) {}
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const row = args.result.rows[0];
    if (!this.moved && row && Object.keys(row).join() === 'id') {
      this.moved = true;
      await this.other.kysely
        .updateTable('orders')
        .set({ status: this.to })
        .where('id', '=', this.orderId)
        .execute();
    }
    return args.result;
  }
}

/** Counts the statements a database runs (a subquery's builder is transformed too, but not run). */
class CountStatements implements KyselyPlugin {
  count = 0;
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count++;
    return args.result;
  }
}

for (const { dialect, available } of DIALECTS) {
  describe.skipIf(!available)(`the list of settled deposits [${dialect}]`, () => {
    let testDb: TestDatabase;
    let db: Db;
    let other: Db;
    let ids: number[] = [];

    beforeAll(async () => {
      testDb = await createTestDatabase(dialect);
      db = connect(testDb.url);
      await migrateToLatest(db);
      other = connect(testDb.url);
      const user = await db.kysely
        .insertInto('users')
        .values({ username: 'kim', wallet_address: null, created_at: 1, updated_at: 1 })
        .executeTakeFirstOrThrow();
      const userId =
        user.insertId === undefined
          ? Number((await db.kysely.selectFrom('users').select('id').executeTakeFirstOrThrow()).id)
          : Number(user.insertId);
      const rows = [1, 2, 3, 4].map((i) => ({
        order_number: `26010100000000000${i}`,
        user_id: userId,
        billing_name: `홍길동${i}`,
        amount: 1000 * i,
        status: 'matched' as const,
        pending_key: null,
        cancel_reason: null,
        memo: null,
        created_at: i,
        updated_at: i,
        expires_at: i + 1000,
        registered_at: i,
        matched_at: i + 1,
        completed_at: null,
        cancelled_at: null,
      }));
      await db.kysely.insertInto('orders').values(rows).execute();
      ids = (await db.kysely.selectFrom('orders').select('id').orderBy('id', 'desc').execute()).map((r) =>
        Number(r.id),
      );
    });
    afterAll(async () => {
      await other?.close();
      await db?.close();
      await testDb?.drop();
    });

    it('shows only the columns it lists, with the owner', async () => {
      // Two statuses: on every database the page is read by id, narrow.
      const [first] = await listSettledEntries(db, { statuses: ['matched', 'cancelled'], limit: 1 });
      expect(first).toEqual({
        id: ids[0],
        orderNumber: '260101000000000004',
        userId: expect.any(Number),
        username: 'kim',
        walletAddress: null,
        billingName: '홍길동4',
        amount: 4000,
        status: 'matched',
        createdAt: 4,
      });
    });

    if (dialect === 'sqlite') {
      it('reads a page of several statuses in one statement, so in one snapshot', async () => {
        const counter = new CountStatements();
        const counted = { ...db, kysely: db.kysely.withPlugin(counter) };
        const page = await listSettledEntries(counted, { statuses: ['matched', 'cancelled'], limit: 3 });
        expect(page.map((e) => e.id)).toEqual(ids.slice(0, 3));
        expect(counter.count).toBe(1);
      });
    } else {
      it('reads a page again when an order leaves its statuses between the ids and the rows', async () => {
        const newest = ids[0] as number;
        const racing = {
          ...db,
          kysely: db.kysely.withPlugin(new MoveAfterIdsRead(other, newest, 'completed')),
        };
        // A page of 2 asks for 3 rows, the third saying that a next page exists.
        const page = await listSettledEntries(racing, { statuses: ['matched', 'cancelled'], limit: 3 });
        expect(page.map((e) => e.id)).toEqual(ids.slice(1, 4));
        await db.kysely.updateTable('orders').set({ status: 'matched' }).where('id', '=', newest).execute();
      });
    }
  });
}
