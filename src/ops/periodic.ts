import type { FastifyBaseLogger } from 'fastify';

export interface PeriodicOptions {
  name: string;
  intervalMs: number;
  /** Run once at start as well, not only after the first interval. */
  runAtStart: boolean;
  log?: FastifyBaseLogger;
}

/**
 * Runs a background job every `intervalMs`, never two runs at once in this process; a failed run
 * is logged and the next one goes ahead. The timer does not keep the process alive. Returns stop.
 */
export function startPeriodic(options: PeriodicOptions, run: () => Promise<void>): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    run()
      .catch((err: unknown) => options.log?.error({ err }, `${options.name} failed`))
      .finally(() => {
        running = false;
      });
  };
  if (options.runAtStart) tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
