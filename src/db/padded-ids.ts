/**
 * `IN (…)` of one prepared statement per power of two: the values as named parameters (`prefix`
 * and the position), padded with the last value again, so that a handful of statements serve
 * every list length.
 */
export function padded<T>(values: T[], prefix = 'id'): { slots: number; params: Record<string, T> } {
  const slots = values.length === 0 ? 0 : 2 ** Math.ceil(Math.log2(values.length));
  const params: Record<string, T> = {};
  for (let i = 0; i < slots; i++) params[`${prefix}${i}`] = values[Math.min(i, values.length - 1)] as T;
  return { slots, params };
}

/** `padded` for ids. */
export const paddedIds = (ids: number[]) => padded(ids);

/** The `IN` list of a prepared statement with `slots` values, as `padded` names them. */
export const slotList = <T = number>(slots: number, p: Record<string, T>, prefix = 'id') =>
  Array.from({ length: slots }, (_, i) => p[`${prefix}${i}`] as T);
