import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { KyselyPlugin, PluginTransformResultArgs, QueryResult, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrations.js';
import type { OrderStatus } from '../domain/order.js';
import { listSettledEntries } from './orders.repository.js';

/**
 * After the page's first read of ids, moves one order to another status through a connection of
 * its own, as another process writing in between would (the list's own connection is busy).
 */
class MoveAfterIdsRead implements KyselyPlugin {
  private moved = false;
  constructor(
    private readonly other: SQLite.Database,
    private readonly orderId: number,
    private readonly to: OrderStatus,
  ) {}
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const row = args.result.rows[0];
    if (!this.moved && row && Object.keys(row).join() === 'id') {
      this.moved = true;
      this.other.prepare('update orders set status = ? where id = ?').run(this.to, this.orderId);
    }
    return args.result;
  }
}

describe('the list of settled deposits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-orders-'));
  const file = join(dir, 'orders.db');
  const db: Db = connect(`sqlite://${file}`);
  let other: SQLite.Database;
  let ids: number[] = [];

  beforeAll(async () => {
    await migrateToLatest(db);
    other = new SQLite(file);
    const user = await db.kysely
      .insertInto('users')
      .values({ username: 'kim', wallet_address: null, created_at: 1, updated_at: 1 })
      .executeTakeFirstOrThrow();
    const rows = [1, 2, 3, 4].map((i) => ({
      order_number: `26010100000000000${i}`,
      user_id: Number(user.insertId),
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
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows only the columns it lists, with the owner', async () => {
    const [first] = await listSettledEntries(db, { statuses: ['matched'], limit: 1 });
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

  it('reads a page again when an order leaves its status between the ids and the rows', async () => {
    const newest = ids[0] as number;
    const racing = { ...db, kysely: db.kysely.withPlugin(new MoveAfterIdsRead(other, newest, 'completed')) };
    // A page of 2 asks for 3 rows, the third saying that a next page exists.
    const page = await listSettledEntries(racing, { statuses: ['matched'], limit: 3 });
    expect(page.map((e) => e.id)).toEqual(ids.slice(1, 4));
    await db.kysely.updateTable('orders').set({ status: 'matched' }).where('id', '=', newest).execute();
  });
});
