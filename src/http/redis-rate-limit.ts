import { type ClientContext, Redis, type Result } from 'ioredis';
import {
  MemoryRateLimiter,
  RATE_WINDOW_MS,
  type RateLimiter,
  type Verdict,
  verdictOf,
} from './rate-limit.js';

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    rateLimitConsume(key: string, windowMs: number): Result<[number, number], Context>;
    rateLimitPeek(key: string): Result<[number, number], Context>;
  }
}

// Counts a hit and returns [hits, ms left]. The first hit starts the window's expiry, so the window
// runs on Redis's clock and instances whose clocks differ still share one window. A key left
// without an expiry (it cannot happen inside one script, but costs nothing to repair) gets one.
const CONSUME_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

const PEEK_LUA = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('PTTL', KEYS[1])}`;

/** A healthy Redis next to the service answers in about a millisecond; past this it counts as down. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
const REDIS_CONNECT_TIMEOUT_MS = 1000;
const REDIS_RECONNECT_DELAY_MAX_MS = 2000;
const REDIS_QUIT_TIMEOUT_MS = 1000;
export const DEFAULT_KEY_PREFIX = 'deposit-gateway:rate:';

/**
 * Fixed one-minute windows in Redis, one atomic script and one round trip per check, so every
 * instance on the same Redis counts against the same limits. Windows run on Redis's clock, so the
 * caller's `nowMs` is not used. Errors (unreachable, timed out) are thrown; `FallbackRateLimiter`
 * decides what to do about them.
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    readonly redis: Redis,
    private readonly keyPrefix = DEFAULT_KEY_PREFIX,
  ) {
    redis.defineCommand('rateLimitConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
    redis.defineCommand('rateLimitPeek', { numberOfKeys: 1, lua: PEEK_LUA });
  }

  async consume(key: string, limit: number): Promise<Verdict> {
    const [count, leftMs] = await this.redis.rateLimitConsume(this.keyPrefix + key, RATE_WINDOW_MS);
    return verdictOf(count, limit, leftMs);
  }

  async exhausted(key: string, limit: number): Promise<Verdict> {
    const [count, leftMs] = await this.redis.rateLimitPeek(this.keyPrefix + key);
    return verdictOf(count + 1, limit, leftMs);
  }

  async close(): Promise<void> {
    const quit = this.redis.quit().catch(() => undefined);
    await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, REDIS_QUIT_TIMEOUT_MS).unref())]);
    // Stops reconnecting too, when Redis was away and `quit` could not be sent.
    this.redis.disconnect();
  }
}

/** What the fallback reports: one warning when Redis goes away, one line when it is back. */
export interface LimiterLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface FallbackOptions {
  log?: LimiterLog;
  /** Told when checks move to the per-instance limiter (true) and back to the shared one (false). */
  onFallback?: (active: boolean) => void;
  /** After a failure, checks stay in memory this long before Redis is tried again. */
  retryAfterMs?: number;
  /** Monotonic milliseconds (tests move it by hand). */
  now?: () => number;
}

const FALLBACK_RETRY_AFTER_MS = 1000;

/**
 * A payment server must not go down because its rate-limit store did: while the shared limiter
 * fails, checks go to a per-instance memory limiter (limits then hold per instance, as without
 * Redis). After a failure Redis is left alone for `retryAfterMs`, so an outage or a hung Redis
 * costs one bounded wait per interval, not one per request; the next check tries Redis again and
 * goes back to it as soon as it answers.
 */
export class FallbackRateLimiter implements RateLimiter {
  private downUntil: number | undefined;
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly shared: RateLimiter,
    private readonly local: RateLimiter = new MemoryRateLimiter(),
    private readonly options: FallbackOptions = {},
  ) {
    this.retryAfterMs = options.retryAfterMs ?? FALLBACK_RETRY_AFTER_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** True while checks are counted per instance. */
  get degraded(): boolean {
    return this.downUntil !== undefined;
  }

  consume(key: string, limit: number, nowMs: number): Promise<Verdict> {
    return this.check((l) => l.consume(key, limit, nowMs));
  }

  exhausted(key: string, limit: number, nowMs: number): Promise<Verdict> {
    return this.check((l) => l.exhausted(key, limit, nowMs));
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  private async check(run: (limiter: RateLimiter) => Promise<Verdict>): Promise<Verdict> {
    if (this.downUntil !== undefined && this.now() < this.downUntil) return run(this.local);
    try {
      const verdict = await run(this.shared);
      if (this.downUntil !== undefined) {
        this.downUntil = undefined;
        this.options.log?.info({}, 'rate-limit store is back: limits are shared again');
        this.options.onFallback?.(false);
      }
      return verdict;
    } catch (err) {
      this.noteFailure(err);
      return run(this.local);
    }
  }

  /** Switches to the per-instance limiter for a while; warns only when this starts an outage. */
  noteFailure(err: unknown): void {
    if (this.downUntil === undefined) {
      this.options.log?.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'rate-limit store unavailable: limits are counted per instance until it returns',
      );
      this.options.onFallback?.(true);
    }
    this.downUntil = this.now() + this.retryAfterMs;
  }
}

export interface SharedLimiterOptions extends FallbackOptions {
  keyPrefix?: string;
}

/**
 * Connects to `redisUrl` and returns limits shared through it, falling back to memory whenever it
 * fails. Never throws for an unreachable Redis: the service starts and Redis is used once it
 * answers. Every command is bounded by `REDIS_COMMAND_TIMEOUT_MS`; while disconnected a command
 * fails at once instead of queueing, and the client keeps reconnecting in the background.
 */
export async function connectSharedRateLimiter(
  redisUrl: string,
  options: SharedLimiterOptions = {},
): Promise<FallbackRateLimiter> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, REDIS_RECONNECT_DELAY_MAX_MS),
  });
  // Connection errors surface as failed commands, which the fallback reports once per outage.
  redis.on('error', () => undefined);
  const limiter = new FallbackRateLimiter(
    new RedisRateLimiter(redis, options.keyPrefix),
    new MemoryRateLimiter(),
    options,
  );
  await redis.connect().catch((err: unknown) => limiter.noteFailure(err));
  return limiter;
}
