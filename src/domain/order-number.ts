import { kstDateCompact } from './kst.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const ORDER_NUMBER_LENGTH = 20;
const RANDOM_CHARS = 14; // 14 base-36 characters ≈ 72 random bits
// Bytes at or above this value are dropped so that every character is equally likely.
const UNBIASED_LIMIT = 252; // 7 × 36

export const ORDER_NUMBER_PATTERN = '^[0-9A-Z]{1,20}$';

export interface RandomSource {
  bytes(count: number): Uint8Array;
}

/**
 * `YYMMDD` (KST) followed by 14 random base-36 characters: sortable by day for people reading
 * bank statements, and unguessable (≥ 60 random bits) for everyone else.
 */
export function newOrderNumber(nowMs: number, random: RandomSource): string {
  let out = kstDateCompact(nowMs);
  while (out.length < ORDER_NUMBER_LENGTH) {
    for (const b of random.bytes(RANDOM_CHARS)) {
      if (b < UNBIASED_LIMIT && out.length < ORDER_NUMBER_LENGTH) out += ALPHABET[b % 36];
    }
  }
  return out;
}
