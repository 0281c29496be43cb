import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * The Redis the rate-limit suites share counters through, at `TEST_REDIS_URL`. Like the databases,
 * a Redis that is not running skips those suites with a note, except under CI=true.
 */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('Redis is not reachable, and CI=true requires it');
    console.warn('[tests] Redis not reachable: the shared rate-limit suites are skipped');
    return false;
  } finally {
    redis.disconnect();
  }
}

export const REDIS_AVAILABLE = await probe();

/** A key prefix of its own for one test, so runs never see each other's counters. */
export const uniquePrefix = (): string => `dg-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix`. */
export async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 });
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** A loopback port on which nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
