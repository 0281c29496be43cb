import { describe, expect, it } from 'vitest';
import { ReadTurns } from './read-turns.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Enters `count` reads labelled from `first`; returns the labels in the order they started. */
function enterMany(turns: ReadTurns, first: number, count: number, started: number[]): Promise<void>[] {
  const waits: Promise<void>[] = [];
  for (let label = first; label < first + count; label++) {
    const turn = turns.enter();
    if (turn === undefined) started.push(label);
    else waits.push(turn.then(() => void started.push(label)));
  }
  return waits;
}

describe('ReadTurns', () => {
  it('starts up to perTurn reads at once and holds the rest for the turns after, in arrival order', async () => {
    const turns = new ReadTurns(3);
    const started: number[] = [];
    const waits = enterMany(turns, 1, 8, started);
    expect(started).toEqual([1, 2, 3]);
    expect(turns.held).toBe(5);
    await nextTurn();
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    await Promise.all(waits);
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(turns.held).toBe(0);
  });

  it('puts a read that arrives while others wait behind them, even when the turn has room', async () => {
    const turns = new ReadTurns(2);
    const started: number[] = [];
    const waits = enterMany(turns, 1, 5, started);
    await nextTurn();
    // Reads 3 and 4 were released; 5 still waits, so 6 queues behind it.
    waits.push(...enterMany(turns, 6, 1, started));
    await Promise.all(waits);
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives a new turn its whole allowance once the queue is empty', async () => {
    const turns = new ReadTurns(2);
    const started: number[] = [];
    await Promise.all(enterMany(turns, 1, 3, started));
    await nextTurn();
    await nextTurn();
    expect(enterMany(turns, 4, 2, started)).toEqual([]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps arrival order through a long queue that newcomers keep joining', async () => {
    const turns = new ReadTurns(7);
    const started: number[] = [];
    const waits = enterMany(turns, 0, 3000, started);
    for (let i = 0; i < 200; i++) {
      waits.push(...enterMany(turns, 3000 + i, 1, started));
      await nextTurn();
    }
    await Promise.all(waits);
    expect(started).toEqual(Array.from({ length: 3200 }, (_, i) => i));
  });
});
