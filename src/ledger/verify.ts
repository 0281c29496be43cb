import type { Db } from '../db/connect.js';
import { CREDITED_STATUSES } from '../domain/order.js';
import {
  type BalanceMismatch,
  findBalanceMismatches,
  findOrderLedgerMismatches,
  type OrderLedgerMismatch,
} from './ledger.repository.js';

export interface VerifyReport {
  ok: boolean;
  balances: BalanceMismatch[];
  orders: OrderLedgerMismatch[];
}

/**
 * The ledger invariants, checked from the data rather than trusted from the code: every balance
 * equals the sum of its ledger rows and is not negative; every matched or completed order has
 * exactly one credit of its own amount; no other order has any.
 */
export async function verifyLedger(db: Db): Promise<VerifyReport> {
  const balances = await findBalanceMismatches(db.kysely);
  const orders = await findOrderLedgerMismatches(db.kysely, CREDITED_STATUSES);
  return { ok: balances.length === 0 && orders.length === 0, balances, orders };
}
