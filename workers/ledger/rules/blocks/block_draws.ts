// What a group of writes (or an hour's settlement) does to the open blocks while it is decided: the
// draws and new blocks, on top of the object's book, which is not touched until the batch is durable
// (applyTo). Decisions see exactly what one-at-a-time application would have left.
import { LedgerInvariantError } from '../../state/ledger_state';
import type { BlockBook } from './block_book';
import { burnDownOrder } from './burn_down';
import type { CreditBlock, FundingLine } from './credit_block';

export interface TakeOptions {
  /** Only blocks of this category (refunds and disputes take paid credit only). */
  only?: 'paid';
  /** This block first, whatever the order says (a refund's own deposit). */
  firstBlockId?: string;
  /** Blocks to pass over (settlement: blocks that expired before the hour it bills). */
  skip?: (block: CreditBlock) => boolean;
}

export class BlockDraws {
  /** Everything drawn in this view, a group in flight before it included (what availability sees). */
  private readonly drawn: Map<string, number>;
  private readonly added: CreditBlock[];
  /** What this view itself drew and added (what applyTo carries to the book: the group before applies its own). */
  private readonly ownDrawn = new Map<string, number>();
  private readonly ownAdded: CreditBlock[] = [];
  private drawnPaidMicros: number;
  private drawnPromotionalMicros: number;

  /** `before`: the draws of a group whose batch is in flight, decided on the same book, applied before this one. */
  constructor(
    readonly book: BlockBook,
    before?: BlockDraws,
  ) {
    this.drawn = new Map(before?.drawn);
    this.added = before ? [...before.added] : [];
    this.drawnPaidMicros = before?.drawnPaidMicros ?? 0;
    this.drawnPromotionalMicros = before?.drawnPromotionalMicros ?? 0;
  }

  /** What a block still holds in this view. */
  available(block: CreditBlock): number {
    return block.remainingMicros - (this.drawn.get(block.id) ?? 0);
  }

  /** Paid credit left in this view (what a refund can take). */
  get paidMicros(): number {
    return this.book.paidMicros + this.sumAdded('paid') - this.drawnPaidMicros;
  }

  get promotionalMicros(): number {
    return this.book.promotionalMicros + this.sumAdded('promotional') - this.drawnPromotionalMicros;
  }

  get totalMicros(): number {
    return this.paidMicros + this.promotionalMicros;
  }

  /** The block with this id, open in the view (null: spent or unknown). */
  find(id: string): CreditBlock | undefined {
    const block = this.book.get(id) ?? this.added.find((b) => b.id === id);
    return block && this.available(block) > 0 ? block : undefined;
  }

  /** The open block a ledger entry brought in. */
  ofTransaction(transactionId: string): CreditBlock | undefined {
    const block = this.book.ofTransaction(transactionId) ?? this.added.find((b) => b.transactionId === transactionId);
    return block && this.available(block) > 0 ? block : undefined;
  }

  add(block: CreditBlock): void {
    this.added.push(block);
    this.ownAdded.push(block);
  }

  /**
   * Takes up to `micros` from the open blocks in burn-down order (as `options` narrow it) and
   * answers the funding: it adds up to `micros` unless the blocks hold less.
   */
  take(micros: number, options: TakeOptions = {}): FundingLine[] {
    const lines: FundingLine[] = [];
    let left = micros;
    const first = options.firstBlockId ? this.find(options.firstBlockId) : undefined;
    const eligible = (b: CreditBlock) => (!options.only || b.category === options.only) && !options.skip?.(b);
    if (first && eligible(first)) left -= this.drawFrom(first, left, lines);
    if (left > 0) {
      for (const block of this.ordered()) {
        if (left === 0) break;
        if (block === first || !eligible(block)) continue;
        left -= this.drawFrom(block, left, lines);
      }
    }
    return lines;
  }

  /** Takes everything a block still holds (its expiration): the one funding line, or null when it is empty. */
  takeAll(block: CreditBlock): FundingLine | null {
    const lines: FundingLine[] = [];
    this.drawFrom(block, this.available(block), lines);
    return lines[0] ?? null;
  }

  /** True when the view holds any change to carry over. */
  get changed(): boolean {
    return this.ownDrawn.size > 0 || this.ownAdded.length > 0;
  }

  /** The batch is durable: the book takes this view's own draws and blocks (a group before it applied its own first). */
  applyTo(book: BlockBook): void {
    if (book !== this.book) throw new LedgerInvariantError('block draws applied to another book');
    for (const block of this.ownAdded) book.add({ ...block });
    for (const [id, micros] of this.ownDrawn) book.draw(id, micros);
  }

  private drawFrom(block: CreditBlock, wanted: number, lines: FundingLine[]): number {
    const micros = Math.min(wanted, this.available(block));
    if (micros <= 0) return 0;
    this.drawn.set(block.id, (this.drawn.get(block.id) ?? 0) + micros);
    this.ownDrawn.set(block.id, (this.ownDrawn.get(block.id) ?? 0) + micros);
    if (block.category === 'paid') this.drawnPaidMicros += micros;
    else this.drawnPromotionalMicros += micros;
    lines.push({ blockId: block.id, category: block.category, amountMicros: micros });
    return micros;
  }

  /** The open blocks in burn-down order, the group's new ones among them. */
  private ordered(): readonly CreditBlock[] {
    if (this.added.length === 0) return this.book.list;
    return [...this.book.list, ...this.added].sort(burnDownOrder);
  }

  private sumAdded(category: CreditBlock['category']): number {
    let sum = 0;
    for (const b of this.added) if (b.category === category) sum += b.remainingMicros;
    return sum;
  }
}

/** The sum of a debit's funding lines. */
export const fundedMicros = (lines: readonly FundingLine[]): number => lines.reduce((sum, l) => sum + l.amountMicros, 0);
