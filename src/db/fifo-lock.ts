/**
 * A lock handed to its waiters in arrival order, one at a time. Kysely's SQLite driver guards its
 * one connection with a lock that wakes every waiter on each release and lets a newcomer overtake
 * them all: under a few hundred concurrent requests that costs a wake-up per waiter per query, and
 * an unlucky request can be passed over again and again.
 */
export class FifoLock {
  private taken = false;
  private readonly waiting: (() => void)[] = [];

  /** Whether someone holds it now. */
  get held(): boolean {
    return this.taken;
  }

  lock(): Promise<void> {
    if (!this.taken) {
      this.taken = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the lock straight to the longest waiter, so nobody can take it in between. */
  unlock(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.taken = false;
  }
}
