/**
 * Operating errors that a caller can cause or meet. Each has a stable machine code; the HTTP layer
 * maps codes to statuses and Korean messages in one table (src/http/errors.ts).
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    readonly detail?: string,
    readonly extra?: ErrorExtra,
  ) {
    super(detail ?? code);
    this.name = 'DomainError';
  }
}

export const DOMAIN_ERROR_CODES = [
  'validation_error',
  'invalid_cursor',
  'unauthorized',
  'forbidden',
  'user_not_found',
  'order_not_found',
  'user_exists',
  'ambiguous_match',
  'too_many_pending',
  'invalid_state',
  'idempotency_in_progress',
  'idempotency_key_reused',
  'payaction_error',
  'database_unavailable',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** What an error answer may carry besides its message: Payaction's own words, for one. */
export interface ErrorExtra {
  payaction_response?: unknown;
  reason?: string;
}

export const fail = (code: DomainErrorCode, detail?: string, extra?: ErrorExtra): DomainError =>
  new DomainError(code, detail, extra);
