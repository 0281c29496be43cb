/**
 * `id IN (…)` of one prepared statement per power of two: the ids as named parameters, padded
 * with the last id again, so that a handful of statements serve every list length.
 */
export function paddedIds(ids: number[]): { slots: number; params: Record<string, number> } {
  const slots = ids.length === 0 ? 0 : 2 ** Math.ceil(Math.log2(ids.length));
  const params: Record<string, number> = {};
  for (let i = 0; i < slots; i++) params[`id${i}`] = ids[Math.min(i, ids.length - 1)] as number;
  return { slots, params };
}

/** The `IN` list of a prepared statement with `slots` ids, as `paddedIds` names them. */
export const slotList = (slots: number, p: Record<string, number>) =>
  Array.from({ length: slots }, (_, i) => p[`id${i}`] as number);
