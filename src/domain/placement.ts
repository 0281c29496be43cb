/** The rules that decide what a deposit request gets: a new order, one it already has, or a refusal. */

/** Two pending orders with one name and amount would be indistinguishable to Payaction. */
export const pendingKey = (billingName: string, amount: number): string => `${billingName}|${amount}`;

/** What a request asks for. */
export interface Ask {
  username: string;
  billingName: string;
  amount: number;
}

/** What the rules make of one request, given what the database holds and the requests before it. */
export type Decision<O> =
  | { kind: 'no_user' }
  | { kind: 'refused'; code: 'ambiguous_match' | 'too_many_pending' }
  | { kind: 'found'; order: O }
  | { kind: 'new'; insert: number }
  | { kind: 'same_as_new'; insert: number };

export interface Plan<A, U, O> {
  decisions: Decision<O>[];
  /** The orders to store, each with its user and key; `Decision.insert` indexes this. */
  inserts: (A & { user: U; pendingKey: string })[];
}

const refused = (code: 'ambiguous_match' | 'too_many_pending') => ({ kind: 'refused', code }) as const;

/**
 * The deposit rules over requests that arrive together, in arrival order, exactly as if each had
 * run alone after the ones before it: a user's identical pending order is given again; a name +
 * amount pending for another user is refused (Payaction could not tell the two apart); a user at
 * `pendingMax` pending orders gets no more. `users` holds the users that exist, `pending` their
 * pending counts and `holders` the pending orders holding any of the requests' keys.
 */
export function planPlacements<A extends Ask, U extends { id: number }, O extends { userId: number }>(
  requests: A[],
  users: ReadonlyMap<string, U>,
  pending: ReadonlyMap<number, number>,
  holders: ReadonlyMap<string, O>,
  pendingMax: number,
): Plan<A, U, O> {
  const counts = new Map(pending);
  const claimed = new Map<string, { userId: number; insert: number }>();
  const inserts: Plan<A, U, O>['inserts'] = [];
  const decisions = requests.map((r): Decision<O> => {
    const user = users.get(r.username);
    if (!user) return { kind: 'no_user' };
    const key = pendingKey(r.billingName, r.amount);
    const holder = holders.get(key);
    if (holder)
      return holder.userId === user.id ? { kind: 'found', order: holder } : refused('ambiguous_match');
    const earlier = claimed.get(key);
    if (earlier) {
      return earlier.userId === user.id
        ? { kind: 'same_as_new', insert: earlier.insert }
        : refused('ambiguous_match');
    }
    const count = counts.get(user.id) ?? 0;
    if (count >= pendingMax) return refused('too_many_pending');
    counts.set(user.id, count + 1);
    const insert = inserts.push({ ...r, user, pendingKey: key }) - 1;
    claimed.set(key, { userId: user.id, insert });
    return { kind: 'new', insert };
  });
  return { decisions, inserts };
}
