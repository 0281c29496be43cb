/**
 * Fixed one-minute windows per key. `MemoryRateLimiter` counts in this process's memory, so its
 * limits are per instance; `src/http/redis-rate-limit.ts` shares them between instances.
 */
export interface Verdict {
  allowed: boolean;
  retryAfterS: number;
}

export interface RateLimiter {
  /** Counts one hit against `key`; refused once `limit` hits fell in the current window. */
  consume(key: string, limit: number, nowMs: number): Promise<Verdict>;
  /** Whether `key` has used up `limit` in the current window, without counting a hit. */
  exhausted(key: string, limit: number, nowMs: number): Promise<Verdict>;
  /** Releases what the limiter holds open (a connection); the limiter is not used afterwards. */
  close(): Promise<void>;
}

export const RATE_WINDOW_MS = 60_000;
// Sweeping expired windows once the map grows this large keeps memory bounded under address floods.
const SWEEP_AT_KEYS = 50_000;

/** The verdict for a window that holds `count` hits and ends in `leftMs`. */
export function verdictOf(count: number, limit: number, leftMs: number): Verdict {
  const allowed = count <= limit;
  return { allowed, retryAfterS: allowed ? 0 : Math.max(1, Math.ceil(leftMs / 1000)) };
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  private current(key: string, nowMs: number) {
    let w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= RATE_WINDOW_MS) {
      if (this.windows.size >= SWEEP_AT_KEYS) this.sweep(nowMs);
      w = { startMs: nowMs, count: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  async consume(key: string, limit: number, nowMs: number): Promise<Verdict> {
    const w = this.current(key, nowMs);
    w.count++;
    return verdictOf(w.count, limit, w.startMs + RATE_WINDOW_MS - nowMs);
  }

  async exhausted(key: string, limit: number, nowMs: number): Promise<Verdict> {
    const w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= RATE_WINDOW_MS) return { allowed: true, retryAfterS: 0 };
    return verdictOf(w.count + 1, limit, w.startMs + RATE_WINDOW_MS - nowMs);
  }

  async close(): Promise<void> {}

  private sweep(nowMs: number): void {
    for (const [key, w] of this.windows) if (nowMs - w.startMs >= RATE_WINDOW_MS) this.windows.delete(key);
  }
}
