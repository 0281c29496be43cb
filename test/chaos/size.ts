/**
 * Chaos runs come in two sizes: the reduced one runs inside `npm test` (CI), the full one under
 * `npm run chaos` (CHAOS_SIZE=full), which also prints its figures.
 */
export const FULL = process.env.CHAOS_SIZE === 'full';

/** `ci` in the reduced run, `full` under `npm run chaos`. */
export function sized(ci: number, full: number): number {
  return FULL ? full : ci;
}

/** One line of figures, printed only in the full run so CI logs stay short. */
export function report(name: string, figures: Record<string, number | string>): void {
  if (!FULL) return;
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  console.log(`chaos ${name}: ${parts.join(' ')}`);
}
