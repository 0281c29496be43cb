/**
 * The sandbox's memory of Payaction: registered orders and the bank transfers it has seen, with
 * Payaction's matching rule (depositor name + amount, among pending orders that are not excluded).
 */
export type SandboxOrderState = 'pending' | 'matched' | 'excluded';

export interface SandboxOrder {
  orderNumber: string;
  amount: number;
  billingName: string;
  ordererName: string;
  orderDate: string;
  state: SandboxOrderState;
}

export type TransferResult = 'matched' | 'unmatched' | 'ambiguous';

export interface SandboxTransfer {
  id: number;
  billingName: string;
  amount: number;
  receivedAt: string;
  result: TransferResult;
  orderNumber: string | null;
  /** For an ambiguous transfer: the orders it could belong to, left for manual matching. */
  candidates: string[];
}

export class SandboxState {
  private readonly orders = new Map<string, SandboxOrder>();
  private readonly transfers: SandboxTransfer[] = [];

  register(order: Omit<SandboxOrder, 'state'>): 'registered' | 'duplicate' {
    if (this.orders.has(order.orderNumber)) return 'duplicate';
    this.orders.set(order.orderNumber, { ...order, state: 'pending' });
    return 'registered';
  }

  exclude(orderNumber: string): 'excluded' | 'unknown' | 'matched' {
    const order = this.orders.get(orderNumber);
    if (!order) return 'unknown';
    if (order.state === 'matched') return 'matched';
    order.state = 'excluded';
    return 'excluded';
  }

  order(orderNumber: string): SandboxOrder | undefined {
    return this.orders.get(orderNumber);
  }

  /** Payaction's rule: exactly one candidate is a match; none or several are left to people. */
  transfer(billingName: string, amount: number, receivedAt: string): SandboxTransfer {
    const candidates = [...this.orders.values()].filter(
      (o) => o.state === 'pending' && o.billingName === billingName && o.amount === amount,
    );
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only) only.state = 'matched';
    const result: TransferResult = only ? 'matched' : candidates.length === 0 ? 'unmatched' : 'ambiguous';
    const transfer: SandboxTransfer = {
      id: this.transfers.length + 1,
      billingName,
      amount,
      receivedAt,
      result,
      orderNumber: only?.orderNumber ?? null,
      candidates: result === 'ambiguous' ? candidates.map((o) => o.orderNumber) : [],
    };
    this.transfers.push(transfer);
    return transfer;
  }

  listTransfers(): SandboxTransfer[] {
    return [...this.transfers].reverse();
  }
}
