// The workspace's open credit blocks (those with credit left), held by its ledger object beside the
// balance: kept in burn-down order, with their sums by category cached, so that nothing on a credit
// check's path looks at blocks at all and a debit touches only the blocks it draws on.
import { LedgerInvariantError } from '../../state/ledger_state';
import { burnDownOrder, insertionIndex } from './burn_down';
import type { CreditBlock } from './credit_block';

export interface NextExpiry {
  atMs: number;
  /** What the blocks expiring at that instant hold now. */
  amountMicros: number;
  /** Their category (`mixed` when both expire then): what the dashboard says of it. */
  category: 'paid' | 'promotional' | 'mixed';
}

export class BlockBook {
  private blocks: CreditBlock[];
  private readonly byId = new Map<string, CreditBlock>();
  paidMicros = 0;
  promotionalMicros = 0;
  /** Undefined: to be computed again (after a change). */
  private expiry: NextExpiry | null | undefined;

  constructor(blocks: CreditBlock[]) {
    this.blocks = blocks.filter((b) => b.remainingMicros > 0).sort(burnDownOrder);
    for (const b of this.blocks) {
      this.byId.set(b.id, b);
      this.count(b, b.remainingMicros);
    }
  }

  /** The open blocks, in burn-down order (do not change them: use draw()). */
  get list(): readonly CreditBlock[] {
    return this.blocks;
  }

  get totalMicros(): number {
    return this.paidMicros + this.promotionalMicros;
  }

  get(id: string): CreditBlock | undefined {
    return this.byId.get(id);
  }

  /** The open block a ledger entry brought in (a deposit's, for its refund). */
  ofTransaction(transactionId: string): CreditBlock | undefined {
    for (const b of this.blocks) if (b.transactionId === transactionId) return b;
    return undefined;
  }

  ofGrant(grantId: string): CreditBlock | undefined {
    for (const b of this.blocks) if (b.grantId === grantId) return b;
    return undefined;
  }

  add(block: CreditBlock): void {
    if (block.remainingMicros <= 0 || this.byId.has(block.id)) throw new LedgerInvariantError(`credit block ${block.id} added twice or empty`);
    this.blocks.splice(insertionIndex(this.blocks, block), 0, block);
    this.byId.set(block.id, block);
    this.count(block, block.remainingMicros);
    this.expiry = undefined;
  }

  /** Takes `micros` from an open block (committed funding); an emptied block leaves the book. */
  draw(id: string, micros: number): void {
    const block = this.byId.get(id);
    if (!block || micros <= 0 || micros > block.remainingMicros) throw new LedgerInvariantError(`credit block ${id} cannot fund ${micros} micros`);
    block.remainingMicros -= micros;
    this.count(block, -micros);
    if (block.remainingMicros === 0) {
      this.byId.delete(id);
      this.blocks = this.blocks.filter((b) => b !== block);
    }
    if (block.expiresAtMs !== null) this.expiry = undefined;
  }

  /** The soonest expiry of an open block, with what the blocks expiring then hold (null: none expire). */
  nextExpiry(): NextExpiry | null {
    if (this.expiry !== undefined) return this.expiry;
    let next: NextExpiry | null = null;
    for (const b of this.blocks) {
      if (b.expiresAtMs === null) continue;
      if (!next || b.expiresAtMs < next.atMs) next = { atMs: b.expiresAtMs, amountMicros: b.remainingMicros, category: b.category };
      else if (b.expiresAtMs === next.atMs) {
        next.amountMicros += b.remainingMicros;
        if (next.category !== b.category) next.category = 'mixed';
      }
    }
    this.expiry = next;
    return next;
  }

  /** Open blocks whose expiry is before `beforeMs`. */
  expiringBefore(beforeMs: number): CreditBlock[] {
    return this.blocks.filter((b) => b.expiresAtMs !== null && b.expiresAtMs < beforeMs);
  }

  private count(block: CreditBlock, micros: number) {
    if (block.category === 'paid') this.paidMicros += micros;
    else this.promotionalMicros += micros;
  }
}
