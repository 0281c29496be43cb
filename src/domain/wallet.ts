import { createHash } from 'node:crypto';

/**
 * Wallet addresses that an operator registers for a user. A TRON address carries a Base58Check
 * checksum; checking it catches the typo that would otherwise send money to nobody.
 */
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const TRON_VERSION_BYTE = 0x41;
const TRON_ADDRESS_LENGTH = 34;
const EVM_RE = /^0x[0-9a-fA-F]{40}$/;

export type WalletCheck = { ok: true } | { ok: false; reason: 'tron_checksum' | 'format' };

function base58Decode(text: string): Uint8Array | undefined {
  let value = 0n;
  for (const ch of text) {
    const digit = BASE58.indexOf(ch);
    if (digit < 0) return undefined;
    value = value * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  for (const ch of text) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

export function isValidTronAddress(address: string): boolean {
  if (address.length !== TRON_ADDRESS_LENGTH || !address.startsWith('T')) return false;
  const bytes = base58Decode(address);
  if (bytes?.length !== 25 || bytes[0] !== TRON_VERSION_BYTE) return false;
  const payload = bytes.subarray(0, 21);
  const checksum = sha256(sha256(payload)).subarray(0, 4);
  return Buffer.from(bytes.subarray(21)).equals(checksum);
}

/**
 * Accepts a TRON address (checksum verified) or an EVM address (`0x` + 40 hex digits). Anything
 * that starts with `T` is held to the TRON rules, so a mistyped TRON address is never accepted as
 * "some other format".
 */
export function checkWalletAddress(address: string): WalletCheck {
  if (address.startsWith('T'))
    return isValidTronAddress(address) ? { ok: true } : { ok: false, reason: 'tron_checksum' };
  return EVM_RE.test(address) ? { ok: true } : { ok: false, reason: 'format' };
}
