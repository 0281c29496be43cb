import { describe, expect, it } from 'vitest';
import { IdBatch } from './id-batch.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('IdBatch', () => {
  it('writes the ids of one turn in one call, distinct, with their latest time', async () => {
    const writes: [number[], number][] = [];
    const batch = new IdBatch(async (ids, atMs) => {
      writes.push([ids, atMs]);
    });
    await Promise.all([batch.add(1, 10), batch.add(2, 30), batch.add(1, 20)]);
    expect(writes).toEqual([[[1, 2], 30]]);
    await batch.add(3, 40);
    expect(writes).toEqual([
      [[1, 2], 30],
      [[3], 40],
    ]);
  });

  it('settles no add before the write that carries it has finished', async () => {
    let finish: () => void = () => undefined;
    const batch = new IdBatch(() => new Promise<void>((resolve) => (finish = resolve)));
    let settled = false;
    const added = batch.add(1, 1).then(() => (settled = true));
    await nextTurn();
    await nextTurn();
    expect(settled).toBe(false);
    finish();
    await added;
    expect(settled).toBe(true);
  });

  it('splits a turn into statements of at most idsMax ids, and a failed one fails its own ids only', async () => {
    const writes: number[][] = [];
    const batch = new IdBatch(async (ids) => {
      writes.push(ids);
      if (ids.includes(3)) throw new Error('deadlock');
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((id) => batch.add(id, id)));
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
  });
});
