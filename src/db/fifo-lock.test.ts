import { describe, expect, it } from 'vitest';
import { FifoLock } from './fifo-lock.js';

describe('FIFO lock', () => {
  it('admits one holder at a time, in arrival order, with no overtaking by newcomers', async () => {
    const lock = new FifoLock();
    const order: number[] = [];
    let inside = 0;
    const worker = async (id: number) => {
      await lock.lock();
      inside++;
      expect(inside).toBe(1);
      order.push(id);
      await Promise.resolve();
      inside--;
      lock.unlock();
    };
    await lock.lock();
    const waiting = [1, 2, 3, 4].map(worker);
    lock.unlock();
    // A newcomer that arrives once the lock has been handed on queues behind those already waiting.
    const late = worker(5);
    await Promise.all([...waiting, late]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('is free again once the last holder leaves', async () => {
    const lock = new FifoLock();
    await lock.lock();
    lock.unlock();
    await lock.lock();
    lock.unlock();
  });
});
