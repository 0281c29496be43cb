import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimiter } from '../src/http/rate-limit.js';
import {
  connectSharedRateLimiter,
  type FallbackRateLimiter,
  type LimiterLog,
  REDIS_COMMAND_TIMEOUT_MS,
  RedisRateLimiter,
} from '../src/http/redis-rate-limit.js';
import { FaultProxy } from './support/fault-proxy.js';
import { closedPort, dropKeys, REDIS_AVAILABLE, REDIS_URL, uniquePrefix } from './support/redis.js';

/** Rate limits in the real Redis, and what happens when it goes away, hangs and comes back. */
class CapturedLog implements LimiterLog {
  readonly lines: { level: 'warn' | 'info'; msg: string }[] = [];
  /** What the limiter told its metrics: true when it fell back, false when it went back. */
  readonly fallbacks: boolean[] = [];
  warn(_obj: object, msg: string): void {
    this.lines.push({ level: 'warn', msg });
  }
  info(_obj: object, msg: string): void {
    this.lines.push({ level: 'info', msg });
  }
  count(level: 'warn' | 'info'): number {
    return this.lines.filter((l) => l.level === level).length;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(url = REDIS_URL): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 0, commandTimeout: 1000 });
  redis.on('error', () => undefined);
  return redis;
}

/** Two limiters on separate connections under one fresh prefix: two instances, one Redis. */
function twoLimiters(): { a: RateLimiter; b: RateLimiter; prefix: string; redis: Redis } {
  const prefix = uniquePrefix();
  const a = new RedisRateLimiter(client(), prefix);
  const b = new RedisRateLimiter(client(), prefix);
  const redis = client();
  cleanups.push(async () => {
    await dropKeys(prefix);
    await a.close();
    await b.close();
    redis.disconnect();
  });
  return { a, b, prefix, redis };
}

async function shared(
  url: string,
  log: CapturedLog,
  { retryAfterMs = 100, prefix = uniquePrefix() } = {},
): Promise<FallbackRateLimiter> {
  const limiter = await connectSharedRateLimiter(url, {
    keyPrefix: prefix,
    log,
    retryAfterMs,
    onFallback: (active) => log.fallbacks.push(active),
  });
  cleanups.push(async () => {
    await limiter.close();
    await dropKeys(prefix);
  });
  return limiter;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!REDIS_AVAILABLE)('rate limits in Redis', () => {
  it('counts hits of every instance against one limit per key and minute', async () => {
    const { a, b, prefix, redis } = twoLimiters();
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push(await (i % 2 === 0 ? a : b).consume('actor:user:x', 4, 0));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, true, false, false]);
    expect(verdicts[4]?.retryAfterS).toBeGreaterThanOrEqual(59);
    expect(verdicts[4]?.retryAfterS).toBeLessThanOrEqual(60);
    expect((await b.consume('actor:user:y', 4, 0)).allowed).toBe(true);
    // One key per window, and it expires with the window.
    const ttl = await redis.pttl(`${prefix}actor:user:x`);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('reports exhaustion without counting a hit', async () => {
    const { a, b, prefix, redis } = twoLimiters();
    expect((await a.exhausted('authfail:10.0.0.1', 2, 0)).allowed).toBe(true);
    await a.consume('authfail:10.0.0.1', 2, 0);
    expect((await b.exhausted('authfail:10.0.0.1', 2, 0)).allowed).toBe(true);
    await b.consume('authfail:10.0.0.1', 2, 0);
    const blocked = await a.exhausted('authfail:10.0.0.1', 2, 0);
    expect(blocked.allowed).toBe(false);
    expect(blocked.retryAfterS).toBeGreaterThan(0);
    expect(await redis.get(`${prefix}authfail:10.0.0.1`)).toBe('2');
  });

  it('starts a new window when the key expires, and repairs a key left without expiry', async () => {
    const { a, prefix, redis } = twoLimiters();
    await a.consume('ip:1', 1, 0);
    expect((await a.consume('ip:1', 1, 0)).allowed).toBe(false);
    await redis.pexpire(`${prefix}ip:1`, 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await a.consume('ip:1', 1, 0)).allowed).toBe(true);

    await redis.set(`${prefix}ip:2`, '7');
    expect(await a.consume('ip:2', 100, 0)).toEqual({ allowed: true, retryAfterS: 0 });
    expect(await redis.pttl(`${prefix}ip:2`)).toBeGreaterThan(0);
  });

  it('is atomic under concurrent hits from two instances', async () => {
    const { a, b } = twoLimiters();
    const verdicts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).consume('ip:burst', 25, 0)),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(25);
  });

  it('counts per instance in memory when Redis cannot be reached, warning once', async () => {
    const log = new CapturedLog();
    const started = performance.now();
    const limiter = await shared(`redis://127.0.0.1:${await closedPort()}`, log);
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await limiter.consume('ip:a', 3, 1000));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false, false]);
    expect(limiter.degraded).toBe(true);
    // Past the retry interval Redis is tried again, fails again, and stays one outage.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await limiter.consume('ip:b', 3, 1000)).allowed).toBe(true);
    expect(log.count('warn')).toBe(1);
  });

  it('goes back to Redis when it returns after an outage', async () => {
    const proxy = await new FaultProxy('127.0.0.1', 6379).start();
    cleanups.push(() => proxy.stop());
    const log = new CapturedLog();
    const prefix = uniquePrefix();
    const limiter = await shared(`redis://127.0.0.1:${proxy.port}`, log, { prefix });
    const peer = await shared(REDIS_URL, new CapturedLog(), { prefix });
    expect(limiter.degraded).toBe(false);
    await limiter.consume('k', 10, 0);

    proxy.cut();
    for (let i = 0; i < 3; i++) expect((await limiter.consume('k', 10, 0)).allowed).toBe(true);
    expect(limiter.degraded).toBe(true);
    expect(log.count('warn')).toBe(1);

    proxy.restore();
    await waitFor(async () => {
      await limiter.consume('k', 10, 0);
      return !limiter.degraded;
    }, 5000);
    expect(log.count('warn')).toBe(1);
    expect(log.count('info')).toBe(1);
    expect(log.fallbacks).toEqual([true, false]);
    // Its hits count in Redis again, against the same limit as another instance's.
    await peer.consume('r', 3, 0);
    await peer.consume('r', 3, 0);
    expect((await limiter.consume('r', 3, 0)).allowed).toBe(true);
    expect((await peer.consume('r', 3, 0)).allowed).toBe(false);
    expect((await limiter.consume('r', 3, 0)).allowed).toBe(false);
  });

  it('bounds every check by a short timeout when Redis hangs, then skips Redis for a while', async () => {
    const proxy = await new FaultProxy('127.0.0.1', 6379).start();
    cleanups.push(() => proxy.stop());
    const log = new CapturedLog();
    const limiter = await shared(`redis://127.0.0.1:${proxy.port}`, log, { retryAfterMs: 1000 });
    expect((await limiter.consume('k', 2, 0)).allowed).toBe(true);

    proxy.stall();
    let started = performance.now();
    expect((await limiter.consume('k', 2, 0)).allowed).toBe(true);
    const firstMs = performance.now() - started;
    expect(firstMs).toBeGreaterThanOrEqual(REDIS_COMMAND_TIMEOUT_MS - 5);
    expect(firstMs).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + 500);
    started = performance.now();
    for (let i = 0; i < 20; i++) await limiter.consume('k', 2, 0);
    expect(performance.now() - started).toBeLessThan(50);
    expect(log.count('warn')).toBe(1);
    proxy.restore();
  });
});
