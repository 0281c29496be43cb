/**
 * A unique constraint refused a write. Repositories turn the driver's error into this, naming the
 * rule in domain words, so services can react after the transaction has rolled back (PostgreSQL
 * aborts a transaction at the first error, so nothing may continue inside it).
 */
export class UniqueConflict extends Error {
  constructor(readonly rule: string) {
    super(`unique conflict: ${rule}`);
    this.name = 'UniqueConflict';
  }
}

/** Recognises the driver errors we act on, across better-sqlite3, mysql2 and pg. */
interface DriverError {
  code?: unknown;
  errno?: unknown;
  constraint?: unknown;
  message?: unknown;
}

const asDriverError = (err: unknown): DriverError => (typeof err === 'object' && err !== null ? err : {});

/** A unique constraint rejected the write; `index` names the index (or its column, for SQLite). */
export function isUniqueViolation(err: unknown, index: string, column?: string): boolean {
  const e = asDriverError(err);
  const message = typeof e.message === 'string' ? e.message : '';
  const matches = message.includes(index) || (column !== undefined && message.includes(column));
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE') return matches;
  if (e.errno === 1062) return matches;
  if (e.code === '23505') return e.constraint === index;
  return false;
}

/** Deadlocks and lock timeouts: the whole transaction may simply run again. */
export function isRetryableConflict(err: unknown): boolean {
  const e = asDriverError(err);
  return (
    e.errno === 1213 ||
    e.errno === 1205 ||
    e.code === '40001' ||
    e.code === '40P01' ||
    e.code === 'SQLITE_BUSY' ||
    e.code === 'SQLITE_BUSY_SNAPSHOT'
  );
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  '57P01',
  '57P03',
  '53300',
  // statement_timeout: the server cancelled a query that ran past DB_QUERY_TIMEOUT_MS.
  '57014',
]);

/** The database cannot be reached, refuses connections or does not answer in time: answer 503, not 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = asDriverError(err);
  if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Pool is closed|Query read timeout/i.test(
    message,
  );
}
