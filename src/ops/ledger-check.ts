import type { Deps } from '../deps.js';
import { verifyLedger } from '../ledger/verify.js';

/**
 * Checks the ledger invariants in the background and reports the result to metrics; a mismatch
 * is logged with the users and orders it concerns.
 */
export function startLedgerCheckJob(deps: Deps, intervalMs: number): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    verifyLedger(deps.db)
      .then((report) => {
        deps.metrics?.ledgerChecked(report.ok, deps.clock.now());
        if (!report.ok) deps.log?.error({ report }, 'ledger invariants broken');
      })
      .catch((err: unknown) => deps.log?.error({ err }, 'ledger check failed'))
      .finally(() => {
        running = false;
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
