import { Type } from 'typebox';
import { USERNAME_PATTERN } from '../domain/input.js';
import { ORDER_NUMBER_PATTERN } from '../domain/order-number.js';

/** Schemas shared by routes (and, through the type provider, their handler types). */
export const Username = Type.String({ pattern: USERNAME_PATTERN, minLength: 1, maxLength: 64 });
export const OrderNumber = Type.String({ pattern: ORDER_NUMBER_PATTERN, minLength: 1, maxLength: 20 });
// The character rules are applied after NFC normalisation and trimming (domain/input.ts).
export const BillingName = Type.String({ minLength: 1, maxLength: 64 });
export const Amount = Type.Integer();

export const PAGE_LIMIT_DEFAULT = 100;
export const PAGE_LIMIT_MAX = 1000;

export const PageQuery = {
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' })),
};

export const DateQuery = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const UsernameParams = Type.Object({ username: Username });
export const OrderNumberParams = Type.Object({ order_number: OrderNumber });
