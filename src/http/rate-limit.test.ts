import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './rate-limit.js';

describe('rate limiter', () => {
  it('allows `limit` hits per minute, then refuses with the seconds left', () => {
    const limiter = new MemoryRateLimiter();
    for (let i = 0; i < 3; i++) expect(limiter.consume('k', 3, 1000).allowed).toBe(true);
    expect(limiter.consume('k', 3, 31_000)).toEqual({ allowed: false, retryAfterS: 30 });
    expect(limiter.consume('other', 3, 31_000).allowed).toBe(true);
    expect(limiter.consume('k', 3, 61_000).allowed).toBe(true);
  });

  it('reports exhaustion without counting', () => {
    const limiter = new MemoryRateLimiter();
    expect(limiter.exhausted('k', 1, 0).allowed).toBe(true);
    limiter.consume('k', 1, 0);
    expect(limiter.exhausted('k', 1, 0)).toEqual({ allowed: false, retryAfterS: 60 });
    expect(limiter.exhausted('k', 2, 0).allowed).toBe(true);
  });
});
