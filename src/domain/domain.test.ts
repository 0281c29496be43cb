import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidAmount, isValidUsername, normalizeBillingName } from './input.js';
import { formatKst, isoKst, kstDayStart, kstStartOfDay } from './kst.js';
import { CREDITABLE_FROM, canMove, isLateMatch, parseStatus } from './order.js';
import { newOrderNumber } from './order-number.js';

describe('KST formatting', () => {
  it('shows UTC instants in Korea time', () => {
    const t = Date.UTC(2025, 3, 6, 5, 30, 25); // 14:30:25 KST
    expect(formatKst(t)).toBe('2025-04-06 14:30:25');
    expect(isoKst(t)).toBe('2025-04-06T14:30:25+09:00');
  });

  it('formats any instant as the calendar does, whatever was formatted before it', () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    const byCalendar = (ms: number) => {
      const d = new Date(ms + 9 * 3_600_000);
      return (
        `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
        `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      );
    };
    const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) });
    const nearby = fc.tuple(instant, fc.integer({ min: -86_400_000, max: 86_400_000 }));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            instant,
            nearby.map(([t, d]) => t + d),
          ),
          { maxLength: 20 },
        ),
        (times) => {
          for (const t of times) expect(formatKst(t)).toBe(byCalendar(t));
        },
      ),
    );
    // Day and second boundaries in KST (UTC 15:00), and the last millisecond before them.
    for (const t of [
      Date.UTC(2025, 3, 5, 15),
      Date.UTC(2025, 3, 5, 15) - 1,
      Date.UTC(2024, 1, 28, 15, 0, 0, 999),
    ])
      expect(formatKst(t)).toBe(byCalendar(t));
  });

  it('finds KST day boundaries', () => {
    expect(kstDayStart('2025-04-06')).toBe(Date.UTC(2025, 3, 5, 15));
    expect(kstDayStart('2025-02-30')).toBeUndefined();
    expect(kstDayStart('2025-4-6')).toBeUndefined();
    expect(kstStartOfDay(Date.UTC(2025, 3, 5, 15, 0, 1))).toBe(Date.UTC(2025, 3, 5, 15));
    expect(kstStartOfDay(Date.UTC(2025, 3, 5, 14, 59, 59))).toBe(Date.UTC(2025, 3, 4, 15));
  });
});

describe('input rules', () => {
  it('normalises depositor names', () => {
    expect(normalizeBillingName('  홍길동 ')).toBe('홍길동');
    expect(normalizeBillingName('홍길동'.normalize('NFD'))).toBe('홍길동');
    expect(normalizeBillingName('Kim (주)-1.')).toBe('Kim (주)-1.');
    for (const bad of ['', '   ', '<b>', '홍\u0000', '😀', 'a'.repeat(21), '홍\u200b길동', 'ㅎㅎ']) {
      expect(normalizeBillingName(bad)).toBeUndefined();
    }
  });

  it('checks usernames and amounts', () => {
    expect(isValidUsername('test_user.1@x-y')).toBe(true);
    expect(isValidUsername('../etc')).toBe(false);
    expect(isValidUsername('a'.repeat(65))).toBe(false);
    const limits = { minAmount: 1000, maxAmount: 10_000_000 };
    expect(isValidAmount(1000, limits)).toBe(true);
    expect(isValidAmount(10_000_000, limits)).toBe(true);
    for (const bad of [999, 10_000_001, 1000.5, -0, '5000', 2 ** 53 + 1, Number.NaN]) {
      expect(isValidAmount(bad, limits)).toBe(false);
    }
  });
});

describe('order states', () => {
  it('allows only the listed moves', () => {
    expect(canMove('pending', 'matched')).toBe(true);
    expect(canMove('cancelled', 'matched')).toBe(true);
    expect(canMove('matched', 'pending')).toBe(false);
    expect(canMove('completed', 'cancelled')).toBe(false);
    expect(parseStatus('매칭완료')).toBe('matched');
    expect(parseStatus('pending')).toBe('pending');
    expect(parseStatus('nope')).toBeUndefined();
  });

  it('credits from pending, or late from cancelled, and from nothing else', () => {
    expect(CREDITABLE_FROM).toEqual(['pending', 'cancelled']);
    expect(CREDITABLE_FROM.filter(isLateMatch)).toEqual(['cancelled']);
  });
});

describe('order numbers', () => {
  it('are 20 characters of 0-9A-Z starting with the KST date', () => {
    let seed = 7;
    const random = {
      bytes: (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 256)),
    };
    const n = newOrderNumber(Date.UTC(2025, 3, 5, 15, 0, 0), random);
    expect(n).toMatch(/^250406[0-9A-Z]{14}$/);
  });
});
