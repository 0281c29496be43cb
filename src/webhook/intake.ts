import { isDatabaseUnavailable } from '../db/errors.js';
import type { Deps } from '../deps.js';
import { startPeriodic } from '../ops/periodic.js';
import type { WebhookDelivery } from './webhook.repository.js';
import { handleWebhook, type WebhookOutcome } from './webhook.service.js';

// Longer than a healthy transaction ever takes, shorter than Payaction's patience.
const APPLY_DEADLINE_MS = 3000;
const REPLAY_INTERVAL_MS = 5000;

const timeout = (ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
};

/**
 * A delivery is applied at once when the database answers; when it is unreachable or does not
 * answer within the deadline, the delivery goes to the durable spool and is acknowledged. Either
 * way it is applied exactly once: the trace id and the conditional credit make a late or repeated
 * application a no-op. Without a spool, or if the spool cannot be written, the error surfaces and
 * Payaction will try again.
 */
export async function receiveWebhook(
  deps: Deps,
  delivery: WebhookDelivery,
): Promise<WebhookOutcome | 'spooled'> {
  const applying = handleWebhook(deps, delivery);
  if (!deps.spool) return applying;
  // The attempt may finish after we have spooled; its result then no longer matters.
  applying.catch(() => undefined);
  const deadline = timeout(APPLY_DEADLINE_MS);
  try {
    const result = await Promise.race([applying, deadline.promise]);
    if (result !== 'timeout') return result;
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
  } finally {
    deadline.cancel();
  }
  await deps.spool.put(delivery, deps.clock.now());
  deps.metrics?.webhook('spooled');
  deps.log?.warn({ orderNumber: delivery.orderNumber, traceId: delivery.traceId }, 'webhook spooled');
  return 'spooled';
}

/** Applies spooled deliveries, oldest first, stopping at the first sign the database is still away. */
export async function replaySpool(deps: Deps): Promise<number> {
  const spool = deps.spool;
  if (!spool) return 0;
  let applied = 0;
  for (const name of await spool.list()) {
    try {
      await handleWebhook(deps, await spool.read(name));
    } catch (err) {
      if (isDatabaseUnavailable(err)) break;
      deps.log?.error({ err, file: name }, 'spooled webhook could not be applied');
      continue;
    }
    await spool.remove(name);
    applied++;
  }
  return applied;
}

/** Replays the spool now and then every few seconds. */
export function startSpoolReplayer(deps: Deps, intervalMs = REPLAY_INTERVAL_MS): () => void {
  return startPeriodic({ name: 'spool replay', intervalMs, runAtStart: true, log: deps.log }, async () => {
    const applied = await replaySpool(deps);
    if (applied > 0) deps.log?.info({ applied }, 'spooled webhooks applied');
  });
}
