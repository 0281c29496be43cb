import type { Harness } from './harness.js';

/**
 * A cheap summary of everything a request could change: row counts, money, the latest update time
 * of users and orders, and how often Payaction was called. Suites advance the fake clock before each
 * request, so any write that stamps `updated_at` moves a maximum even when no count changes.
 */
export async function fingerprint(h: Harness): Promise<string> {
  const db = h.db.kysely;
  const [users, orders, ledger, webhooks, audit] = await Promise.all([
    db
      .selectFrom('users')
      .select((eb) => [
        eb.fn.countAll().as('count'),
        eb.fn.sum('balance').as('balance'),
        eb.fn.max('updated_at').as('updated'),
        eb.fn.count('wallet_address').as('wallets'),
      ])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('orders')
      .select((eb) => [
        'status',
        eb.fn.countAll().as('count'),
        eb.fn.sum('amount').as('amount'),
        eb.fn.max('updated_at').as('updated'),
        eb.fn.sum('late_match').as('late'),
        eb.fn.count('memo').as('memos'),
        eb.fn.count('registered_at').as('registered'),
      ])
      .groupBy('status')
      .orderBy('status')
      .execute(),
    db
      .selectFrom('ledger_entries')
      .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('amount').as('amount')])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('webhook_events')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow(),
  ]);
  // Drivers differ in how they return aggregates (number, bigint, string); compare their text.
  const text = (row: Record<string, unknown>) =>
    Object.entries(row)
      .map(([k, v]) => `${k}=${String(v ?? 0)}`)
      .join(' ');
  return [
    `users ${text(users)}`,
    ...orders.map((o) => `orders ${text(o)}`),
    `ledger ${text(ledger)}`,
    `webhooks ${text(webhooks)}`,
    `audit ${text(audit)}`,
    `payaction calls=${h.stub.calls.length}`,
  ].join('\n');
}
