import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './rate-limit.js';

describe('rate limiter', () => {
  it('allows `limit` hits per minute, then refuses with the seconds left', async () => {
    const limiter = new MemoryRateLimiter();
    for (let i = 0; i < 3; i++) expect((await limiter.consume('k', 3, 1000)).allowed).toBe(true);
    expect(await limiter.consume('k', 3, 31_000)).toEqual({ allowed: false, retryAfterS: 30 });
    expect((await limiter.consume('other', 3, 31_000)).allowed).toBe(true);
    expect((await limiter.consume('k', 3, 61_000)).allowed).toBe(true);
  });

  it('reports exhaustion without counting', async () => {
    const limiter = new MemoryRateLimiter();
    expect((await limiter.exhausted('k', 1, 0)).allowed).toBe(true);
    await limiter.consume('k', 1, 0);
    expect(await limiter.exhausted('k', 1, 0)).toEqual({ allowed: false, retryAfterS: 60 });
    expect((await limiter.exhausted('k', 2, 0)).allowed).toBe(true);
  });
});
