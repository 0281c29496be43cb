/** Rules for the values people type: usernames, depositor names, amounts. Pure functions. */

export const USERNAME_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$';
const USERNAME_RE = new RegExp(USERNAME_PATTERN);

export function isValidUsername(value: string): boolean {
  return USERNAME_RE.test(value);
}

export const BILLING_NAME_LENGTH_MAX = 20;
// Hangul syllables, Latin letters, digits, space and ( ) . -: what Korean banks print as a depositor.
const BILLING_NAME_RE = /^[\uAC00-\uD7A3A-Za-z0-9 ().-]+$/;

/**
 * Normalises a depositor name the way it will be matched: NFC (phones may send decomposed
 * Hangul), trimmed. Returns undefined when the result is not an acceptable name.
 */
export function normalizeBillingName(raw: string): string | undefined {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0 || name.length > BILLING_NAME_LENGTH_MAX) return undefined;
  return BILLING_NAME_RE.test(name) ? name : undefined;
}

export interface AmountLimits {
  minAmount: number;
  maxAmount: number;
}

export function isValidAmount(value: unknown, limits: AmountLimits): value is number {
  return (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    !Object.is(value, -0) &&
    value >= limits.minAmount &&
    value <= limits.maxAmount
  );
}

// Free text that is stored as given (memos, reasons, what Payaction sends) carries no control
// characters: PostgreSQL cannot store U+0000 at all, and the others have no place in an admin page
// or a log line. Memos and reasons may span lines (tab, LF, CR); Payaction's fields may not.
const TEXT_CHAR = '[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]';
export const TEXT_PATTERN = `^${TEXT_CHAR}*$`;
export const NON_BLANK_TEXT_PATTERN = `^(?=[\\s\\S]*\\S)${TEXT_CHAR}*$`;
export const SINGLE_LINE_TEXT_PATTERN = '^[^\\u0000-\\u001F\\u007F]*$';
