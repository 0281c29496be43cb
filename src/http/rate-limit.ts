/**
 * Fixed one-minute windows per key, in this process's memory. Limits are per instance: with
 * several instances behind a load balancer each allows its own share.
 */
export interface Verdict {
  allowed: boolean;
  retryAfterS: number;
}

export interface RateLimiter {
  /** Counts one hit against `key`; refused once `limit` hits fell in the current window. */
  consume(key: string, limit: number, nowMs: number): Verdict;
  /** Whether `key` has used up `limit` in the current window, without counting a hit. */
  exhausted(key: string, limit: number, nowMs: number): Verdict;
}

const WINDOW_MS = 60_000;
// Sweeping expired windows once the map grows this large keeps memory bounded under address floods.
const SWEEP_AT_KEYS = 50_000;

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  private current(key: string, nowMs: number) {
    let w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= WINDOW_MS) {
      if (this.windows.size >= SWEEP_AT_KEYS) this.sweep(nowMs);
      w = { startMs: nowMs, count: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  private verdict(w: { startMs: number; count: number }, limit: number, nowMs: number): Verdict {
    const allowed = w.count <= limit;
    return {
      allowed,
      retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((w.startMs + WINDOW_MS - nowMs) / 1000)),
    };
  }

  consume(key: string, limit: number, nowMs: number): Verdict {
    const w = this.current(key, nowMs);
    w.count++;
    return this.verdict(w, limit, nowMs);
  }

  exhausted(key: string, limit: number, nowMs: number): Verdict {
    const w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= WINDOW_MS) return { allowed: true, retryAfterS: 0 };
    return this.verdict({ startMs: w.startMs, count: w.count + 1 }, limit, nowMs);
  }

  private sweep(nowMs: number): void {
    for (const [key, w] of this.windows) if (nowMs - w.startMs >= WINDOW_MS) this.windows.delete(key);
  }
}
