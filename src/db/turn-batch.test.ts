import { describe, expect, it } from 'vitest';
import { type Settled, TurnBatch } from './turn-batch.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const doubled = async (items: number[]): Promise<Settled<number>[]> =>
  items.map((n) => ({ ok: true, value: n * 2 }));

describe('TurnBatch', () => {
  it('runs the items of one turn as one batch, in the order given, and answers each its own', async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number, number>(async (items) => {
      runs.push(items);
      return doubled(items);
    });
    expect(await Promise.all([batch.add(1), batch.add(2), batch.add(3)])).toEqual([2, 4, 6]);
    expect(await batch.add(4)).toBe(8);
    expect(runs).toEqual([[1, 2, 3], [4]]);
  });

  it('gathers what arrives while a batch runs into the next one, up to sizeMax each', async () => {
    const runs: number[][] = [];
    let finish: () => void = () => undefined;
    const batch = new TurnBatch<number, number>(
      async (items) => {
        runs.push(items);
        if (runs.length === 1) await new Promise<void>((resolve) => (finish = resolve));
        return doubled(items);
      },
      { sizeMax: 2 },
    );
    const first = batch.add(1);
    await nextTurn();
    const later = [2, 3, 4].map((n) => batch.add(n));
    await nextTurn();
    await nextTurn();
    // One batch at a time: the three that came meanwhile wait for the first to end.
    expect(runs).toEqual([[1]]);
    finish();
    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6, 8]);
    expect(runs).toEqual([[1], [2, 3], [4]]);
  });

  it('settles nothing before its batch has returned', async () => {
    let finish: () => void = () => undefined;
    const batch = new TurnBatch<number, number>(async (items) => {
      await new Promise<void>((resolve) => (finish = resolve));
      return doubled(items);
    });
    let settled = false;
    const added = batch.add(1).then(() => (settled = true));
    await nextTurn();
    await nextTurn();
    expect(settled).toBe(false);
    finish();
    await added;
    expect(settled).toBe(true);
  });

  it('fails one item alone when the batch says so, and every item when the batch throws', async () => {
    const batch = new TurnBatch<number, number>(async (items) => {
      if (items.includes(0)) throw new Error('database gone');
      return items.map((n) => (n === 2 ? { ok: false, err: new Error('refused') } : { ok: true, value: n }));
    });
    const mixed = await Promise.allSettled([1, 2, 3].map((n) => batch.add(n)));
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const thrown = await Promise.allSettled([0, 1].map((n) => batch.add(n)));
    expect(thrown.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual([
      'database gone',
      'database gone',
    ]);
    // A failed batch does not stop the ones after it.
    expect(await batch.add(5)).toBe(5);
  });
  it('lets the next batch start once the running one has stalled for stallMs, and says so', async () => {
    const runs: number[][] = [];
    let stalls = 0;
    let finish: () => void = () => undefined;
    const batch = new TurnBatch<number, number>(
      async (items) => {
        runs.push(items);
        if (items.includes(1)) await new Promise<void>((resolve) => (finish = resolve));
        return doubled(items);
      },
      { stallMs: 20, onStall: () => stalls++ },
    );
    const stuck = batch.add(1);
    await nextTurn();
    const next = batch.add(2);
    await nextTurn();
    expect(runs).toEqual([[1]]);
    // The first batch is still running; the second goes ahead of it after 20 ms.
    expect(await next).toBe(4);
    expect(runs).toEqual([[1], [2]]);
    expect(stalls).toBe(1);
    finish();
    expect(await stuck).toBe(2);
  });
});
