import { describe, expect, it } from 'vitest';
import { pooledRandom } from './deps.js';

describe('pooled random bytes', () => {
  it('hands out fresh bytes on every call, across refills of the pool', () => {
    const random = pooledRandom();
    const seen = new Set<string>();
    // 14 bytes × 1,000 calls crosses the 4 KiB pool three times.
    for (let i = 0; i < 1000; i++) {
      const bytes = random.bytes(14);
      expect(bytes).toHaveLength(14);
      seen.add(Buffer.from(bytes).toString('hex'));
    }
    expect(seen.size).toBe(1000);
  });

  it('serves requests larger than the pool directly', () => {
    expect(pooledRandom().bytes(10_000)).toHaveLength(10_000);
  });

  it('spreads bytes over the whole range', () => {
    const counts = new Array<number>(256).fill(0);
    const random = pooledRandom();
    for (let i = 0; i < 2000; i++) for (const b of random.bytes(64)) counts[b] = (counts[b] ?? 0) + 1;
    // 500 expected per value; a stuck or zeroed pool would leave most values at 0.
    expect(Math.min(...counts)).toBeGreaterThan(350);
  });
});
