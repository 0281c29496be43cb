import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { auditRows } from '../src/audit/audit.repository.js';
import { UniqueConflict } from '../src/db/errors.js';
import { inTrips } from '../src/db/trips.js';
import { lockedUsersNamed, newPendingOrders, pendingCounts } from '../src/orders/placement.repository.js';
import { forEachDatabase } from './support/harness.js';

const SYSTEM = { kind: 'system', id: 'trips-test' } as const;

const newOrder = (user: { id: number; username: string; balance: number }, n: number, key: string) => ({
  user: { ...user, walletAddress: null, createdAt: 0 },
  orderNumber: `TRIPS${String(n).padStart(15, '0')}`,
  billingName: key,
  amount: 10_000,
  pendingKey: `${key}|10000`,
  nowMs: 1_000,
  expiresAt: 2_000,
});

forEachDatabase('a transaction of a few trips', (h) => {
  const auditCount = async () => {
    const { rows } = await sql<{ n: unknown }>`select count(*) as n from audit_log`.execute(h().db.kysely);
    return Number(rows[0]?.n);
  };

  it('answers each statement of a trip in order, and commits with the last trip', async () => {
    const db = h().db;
    for (const u of ['tr_a', 'tr_b']) await h().createUser(u);
    const auditsBefore = await auditCount();
    const [stored, counts] = await inTrips(db, async (trips) => {
      const [users, counts] = await trips.send([
        lockedUsersNamed(db, ['tr_b', 'tr_a']),
        pendingCounts(db, ['tr_a', 'tr_b']),
      ]);
      expect(users.map((u) => u.username).sort()).toEqual(['tr_a', 'tr_b']);
      const a = users.find((u) => u.username === 'tr_a');
      if (!a) throw new Error('tr_a missing');
      const [stored] = await trips.send([
        newPendingOrders(db, [newOrder(a, 1, '트립일'), newOrder(a, 2, '트립이')]),
      ]);
      const entries = stored.map((o) => ({
        actor: SYSTEM,
        action: 'create',
        orderId: o.id,
        userId: o.userId,
        atMs: 1_000,
      }));
      await trips.send(auditRows(db.kysely, entries), { commit: true });
      return [stored, counts] as const;
    });
    expect([...counts.values()]).toEqual([0, 0]);
    expect(stored.map((o) => o.orderNumber)).toEqual(['TRIPS000000000000001', 'TRIPS000000000000002']);
    expect(await auditCount()).toBe(auditsBefore + 2);
    const [after] = await inTrips(db, (trips) => trips.send([pendingCounts(db, ['tr_a'])]));
    expect([...after.values()]).toEqual([2]);
  });

  it('fails with what the failing statement means, and keeps nothing of its transaction', async () => {
    const db = h().db;
    await h().createUser('tr_c');
    const auditsBefore = await auditCount();
    const attempt = inTrips(db, async (trips) => {
      const [users] = await trips.send([lockedUsersNamed(db, ['tr_c'])]);
      const c = users[0];
      if (!c) throw new Error('tr_c missing');
      await trips.send(auditRows(db.kysely, [{ actor: SYSTEM, action: 'probe', userId: c.id, atMs: 1_000 }]));
      // The same key twice in one insert: the second row violates the pending key's uniqueness.
      await trips.send([newPendingOrders(db, [newOrder(c, 3, '트립삼'), newOrder(c, 4, '트립삼')])], {
        commit: true,
      });
    });
    await expect(attempt).rejects.toBeInstanceOf(UniqueConflict);
    expect(await auditCount()).toBe(auditsBefore);
    const [counts] = await inTrips(db, (trips) => trips.send([pendingCounts(db, ['tr_c'])]));
    expect([...counts.values()]).toEqual([0]);
  });

  it('undoes its statements when the work between the trips throws', async () => {
    const db = h().db;
    await h().createUser('tr_d');
    const auditsBefore = await auditCount();
    const attempt = inTrips(db, async (trips) => {
      await trips.send(auditRows(db.kysely, [{ actor: SYSTEM, action: 'probe', atMs: 1_000 }]));
      throw new Error('changed its mind');
    });
    await expect(attempt).rejects.toThrow('changed its mind');
    expect(await auditCount()).toBe(auditsBefore);
  });
});
