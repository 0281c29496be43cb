import type { ServiceMetrics } from '../ops/metrics.js';
import type { PayactionClient, PayactionOrder, PayactionResult } from './client.js';

/** The same client, timed and counted. */
export function instrumented(client: PayactionClient, metrics: ServiceMetrics): PayactionClient {
  const timed = async (operation: string, call: () => Promise<PayactionResult>) => {
    const started = performance.now();
    const result = await call();
    metrics.payactionCall(operation, result.ok, (performance.now() - started) / 1000);
    return result;
  };
  return {
    registerOrder: (order: PayactionOrder, again?: boolean) =>
      timed('order', () => client.registerOrder(order, again)),
    excludeOrder: (orderNumber: string) => timed('order-exclude', () => client.excludeOrder(orderNumber)),
  };
}
