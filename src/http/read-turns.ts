import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * Reads started in one turn of the event loop, at most. 16 measured best of 8, 16 and 32 for
 * history pages at 32 connections (docs/performance.md, *Reads spread over turns*).
 */
export const READS_PER_TURN = 16;

/**
 * Spreads reads over turns of the event loop. libuv takes in one new connection per turn, and a
 * turn of a saturated service runs every request that is ready, so a client connecting under load
 * waits behind whole turns of them: at 256 connections, seconds. Starting at most `perTurn` reads
 * in a turn, the rest in arrival order in the turns after, keeps turns short, so connections are
 * taken in while the service is busy. Writes are not held: a write's turn-mates share its commit.
 */
export class ReadTurns {
  private startedThisTurn = 0;
  // At most one read per open connection waits (Node answers a connection's requests in turn), so
  // a plain array, as in FifoLock, is queue enough.
  private readonly waiting: (() => void)[] = [];
  private turnScheduled = false;

  constructor(private readonly perTurn: number) {}

  /** Undefined when the read may start now, else a promise that settles when its turn comes. */
  enter(): Promise<void> | undefined {
    this.scheduleTurn();
    // Reads wait only once a turn has used its allowance, so a newcomer never passes them.
    if (this.startedThisTurn < this.perTurn) {
      this.startedThisTurn++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Reads waiting for a later turn. */
  get held(): number {
    return this.waiting.length;
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(this.nextTurn);
  }

  // Runs after the turn's I/O: the reads released here run in this callback's microtasks, and the
  // loop polls (and accepts) again before the next release.
  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    this.startedThisTurn = 0;
    while (this.startedThisTurn < this.perTurn) {
      const release = this.waiting.shift();
      if (!release) break;
      this.startedThisTurn++;
      release();
    }
    // A turn that started reads may be followed by more; an idle one schedules nothing.
    if (this.startedThisTurn > 0) this.scheduleTurn();
  };
}

/** The first `onRequest` hook on SQLite: GET and HEAD requests wait for their turn. */
export function readTurnsHook(turns: ReadTurns) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const turn = request.method === 'GET' || request.method === 'HEAD' ? turns.enter() : undefined;
    if (turn === undefined) done();
    else void turn.then(() => done());
  };
}
