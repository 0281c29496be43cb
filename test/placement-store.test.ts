import { expect, it } from 'vitest';
import { inTrips } from '../src/db/trips.js';
import { findOrder } from '../src/orders/orders.repository.js';
import { lockedUsersNamed, newPendingOrders } from '../src/orders/placement.repository.js';
import { forEachDatabase } from './support/harness.js';

forEachDatabase('storing a batch of new orders', (h) => {
  it('gives each order of a many-row insert the id the database gave its row', async () => {
    for (const u of ['ps_a', 'ps_b']) await h().createUser(u);
    const numbers = ['PSTORE00000000000001', 'PSTORE00000000000002', 'PSTORE00000000000003'];
    const db = h().db;
    const stored = await inTrips(db, async (trips) => {
      const [users] = await trips.send([lockedUsersNamed(db, ['ps_a', 'ps_b'])]);
      const userNamed = (name: string) => {
        const user = users.find((u) => u.username === name);
        if (!user) throw new Error(`no user ${name}`);
        return user;
      };
      const [orders] = await trips.send([
        newPendingOrders(
          db,
          numbers.map((orderNumber, i) => ({
            user: userNamed(i === 1 ? 'ps_b' : 'ps_a'),
            orderNumber,
            billingName: '여러건',
            amount: 66000 + i,
            pendingKey: `여러건|${66000 + i}`,
            nowMs: 1_000,
            expiresAt: 2_000,
          })),
        ),
      ]);
      return orders;
    });
    expect(stored.map((o) => o.orderNumber)).toEqual(numbers);
    for (const order of stored) {
      const read = await findOrder(h().db.kysely, order.orderNumber);
      expect(read).toEqual(order);
    }
    expect(stored.map((o) => o.username)).toEqual(['ps_a', 'ps_b', 'ps_a']);
  });
});
