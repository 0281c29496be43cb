import type { Deps } from '../deps.js';
import { verifyLedger } from '../ledger/verify.js';
import { startPeriodic } from './periodic.js';

/**
 * Checks the ledger invariants in the background and reports the result to metrics; a mismatch
 * is logged with the users and orders it concerns.
 */
export function startLedgerCheckJob(deps: Deps, intervalMs: number): () => void {
  return startPeriodic({ name: 'ledger check', intervalMs, runAtStart: true, log: deps.log }, async () => {
    const report = await verifyLedger(deps.db);
    deps.metrics?.ledgerChecked(report.ok, deps.clock.now());
    if (!report.ok) deps.log?.error({ report }, 'ledger invariants broken');
  });
}
