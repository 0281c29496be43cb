/**
 * MySQL and PostgreSQL return BIGINT and SUM() as strings or bigints. Everything above the data
 * layer sees plain numbers, and a value JavaScript cannot hold exactly is an error, never rounded.
 */
export function toSafeInt(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number(value);
  if (!Number.isSafeInteger(n) || (typeof value === 'string' && !/^-?\d+$/.test(value))) {
    throw new Error(`database returned a non-integer or unsafe integer: ${String(value)}`);
  }
  return n;
}

export const toBool = (value: unknown): boolean => value === true || value === 1 || value === '1';
