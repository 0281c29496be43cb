import { randomFillSync } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { RandomSource } from './domain/order-number.js';
import type { ServiceMetrics } from './ops/metrics.js';
import type { PayactionClient } from './payaction/client.js';
import type { WebhookSpool } from './webhook/spool.js';

export interface Clock {
  /** UTC epoch milliseconds. */
  now(): number;
}

/** Everything that touches the outside world, passed in so that tests can control it. */
export interface Deps {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly payaction: PayactionClient;
  readonly log?: FastifyBaseLogger;
  readonly metrics?: ServiceMetrics;
  /** Where webhooks wait out a database outage; without one, an outage answers 503. */
  readonly spool?: WebhookSpool;
}

export const systemClock: Clock = { now: () => Date.now() };

// One call into the system's generator per 4 KiB instead of one per order number: each call
// costs far more than copying the bytes out.
const POOL_BYTES = 4096;

/** Bytes from the operating system's CSPRNG, drawn in pooled blocks; every byte is used once. */
export function pooledRandom(): RandomSource {
  const pool = new Uint8Array(POOL_BYTES);
  let used = POOL_BYTES;
  return {
    bytes(count) {
      if (count > POOL_BYTES) return randomFillSync(new Uint8Array(count));
      if (used + count > POOL_BYTES) {
        randomFillSync(pool);
        used = 0;
      }
      const out = pool.slice(used, used + count);
      used += count;
      return out;
    },
  };
}

export const systemRandom: RandomSource = pooledRandom();
