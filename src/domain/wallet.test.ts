import { describe, expect, it } from 'vitest';
import { checkWalletAddress, isValidTronAddress } from './wallet.js';

// The USDT-TRC20 contract address, published widely; a known-good Base58Check value.
const VALID = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

describe('wallet addresses', () => {
  it('accepts a valid TRON address', () => {
    expect(isValidTronAddress(VALID)).toBe(true);
    expect(checkWalletAddress(VALID)).toEqual({ ok: true });
  });

  it('rejects a TRON address with one character changed', () => {
    const typo = `${VALID.slice(0, 10)}${VALID[10] === 'a' ? 'b' : 'a'}${VALID.slice(11)}`;
    expect(isValidTronAddress(typo)).toBe(false);
    expect(checkWalletAddress(typo)).toEqual({ ok: false, reason: 'tron_checksum' });
  });

  it('holds anything starting with T to the TRON rules', () => {
    expect(checkWalletAddress(VALID.slice(0, 33)).ok).toBe(false);
    expect(checkWalletAddress(`${VALID}x`).ok).toBe(false);
    expect(checkWalletAddress('T0000000000000000000000000000000000').ok).toBe(false);
  });

  it('accepts an EVM address and rejects other formats', () => {
    expect(checkWalletAddress('0x52908400098527886E0F7030069857D2E4169EE7').ok).toBe(true);
    expect(checkWalletAddress('0x5290840009852788').ok).toBe(false);
    expect(checkWalletAddress('hello').ok).toBe(false);
  });
});
