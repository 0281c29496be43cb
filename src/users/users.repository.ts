import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import { inlinedInteger, prepared, returnsWhatItWrites } from '../db/prepared.js';
import type { Database, UserRow } from '../db/schema.js';
import type { Statement } from '../db/trips.js';
import { toSafeInt } from '../db/values.js';

export interface User {
  id: number;
  username: string;
  balance: number;
  walletAddress: string | null;
  createdAt: number;
}

export const toUser = (row: UserRow): User => ({
  id: toSafeInt(row.id),
  username: row.username,
  balance: toSafeInt(row.balance),
  walletAddress: row.wallet_address,
  createdAt: toSafeInt(row.created_at),
});

const userByName = prepared((db, p: { username: string }) =>
  db.selectFrom('users').selectAll().where('username', '=', p.username),
);

export async function findUser(db: Kysely<Database>, username: string): Promise<User | undefined> {
  const row = (await userByName(db, { username })).rows[0];
  return row && toUser(row);
}

/** Inserts a user; `undefined` when the username is taken. */
export async function insertUser(
  db: Kysely<Database>,
  username: string,
  walletAddress: string | null,
  nowMs: number,
): Promise<User | undefined> {
  try {
    await db
      .insertInto('users')
      .values({ username, wallet_address: walletAddress, created_at: nowMs, updated_at: nowMs })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err, 'users_username_uq', 'users.username')) return undefined;
    throw err;
  }
  return findUser(db, username);
}

/**
 * Adds to the balance and answers the balance after, read under the row lock the update took: on
 * MySQL/MariaDB and SQLite by a read in the same trip, on PostgreSQL returned by the update.
 */
export function balanceCredited(
  db: Kysely<Database>,
  userId: number,
  amount: number,
  nowMs: number,
): Statement<number> {
  const increment = incrementBalance.bound(db, { userId, amount, nowMs });
  const queries = returnsWhatItWrites(db) ? [increment] : [increment, balanceOf.bound(db, { userId })];
  return {
    queries,
    read: (results) => {
      const row = results[results.length - 1]?.rows[0] as { balance: unknown } | undefined;
      if (!row) throw new Error(`user ${userId} vanished while being credited`);
      return toSafeInt(row.balance);
    },
  };
}

const incrementBalance = prepared((db, p: { userId: number; amount: number; nowMs: number }) =>
  db
    .updateTable('users')
    .set((eb) => ({ balance: eb('balance', '+', p.amount), updated_at: p.nowMs }))
    .where('id', '=', p.userId)
    .$if(returnsWhatItWrites(db), (q) => q.returning('balance')),
);

const balanceOf = prepared((db, p: { userId: number }) =>
  db.selectFrom('users').select('balance').where('id', '=', p.userId),
);

export async function setWalletAddress(
  db: Kysely<Database>,
  username: string,
  walletAddress: string | null,
  nowMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ wallet_address: walletAddress, updated_at: nowMs })
    .where('username', '=', username)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function listUsers(
  db: Kysely<Database>,
  limit: number,
  beforeId: number | undefined,
): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .$if(beforeId !== undefined, (q) => q.where('id', '<', beforeId as number))
    .orderBy('id', 'desc')
    .limit(inlinedInteger(limit))
    .execute();
  return rows.map(toUser);
}
