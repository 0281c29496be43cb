import { randomBytes } from 'node:crypto';
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
export const systemRandom: RandomSource = { bytes: (count) => randomBytes(count) };
