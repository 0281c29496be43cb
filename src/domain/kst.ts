/** Times are stored as UTC epoch milliseconds and shown in Korea Standard Time (UTC+9, no DST). */
const KST_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function kstParts(epochMs: number): Date {
  return new Date(epochMs + KST_OFFSET_MS);
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => pad(n));

// Lists show many times of the same few days: the date part is made once per day, the rest by arithmetic.
let shownDay = Number.NaN;
let shownDayPrefix = '';

/** `YYYY-MM-DD HH:mm:ss` in KST, the seed's date format. */
export function formatKst(epochMs: number): string {
  const localMs = epochMs + KST_OFFSET_MS;
  const day = Math.floor(localMs / DAY_MS);
  if (day !== shownDay) {
    const d = new Date(day * DAY_MS);
    shownDayPrefix = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} `;
    shownDay = day;
  }
  const second = Math.floor((localMs - day * DAY_MS) / 1000);
  return `${shownDayPrefix}${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}`;
}

/** ISO 8601 with the +09:00 offset, as Payaction expects for order_date. */
export function isoKst(epochMs: number): string {
  return `${formatKst(epochMs).replace(' ', 'T')}+09:00`;
}

/** `YYMMDD` of the KST calendar day. */
export function kstDateCompact(epochMs: number): string {
  const d = kstParts(epochMs);
  return `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Start of a KST calendar day `YYYY-MM-DD` as epoch ms, or undefined when it is not a real date. */
export function kstDayStart(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
    return undefined;
  return utc - KST_OFFSET_MS;
}

/** Start of the KST day that contains the instant. */
export function kstStartOfDay(epochMs: number): number {
  return Math.floor((epochMs + KST_OFFSET_MS) / DAY_MS) * DAY_MS - KST_OFFSET_MS;
}

export const KST_DAY_MS = DAY_MS;
