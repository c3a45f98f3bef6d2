// Grants and their void (POST /internal/v1/grants, /grants/:id/void), and the expiry of blocks by the
// object's alarm: writes of the object's group commit (group_commit.ts), answered once D1 holds them.
import { canonicalJson, sha256Hex } from '../../../lib/crypto';
import { newId } from '../../../lib/ids';
import { simBroken } from '../../../lib/sim_hooks';
import { balanceCapFailure } from '../balance_cap';
import { replay } from '../../entry_replay';
import type { Committed, GroupBatch } from '../../writes/group_batch';
import type { GroupWrite } from '../../writes/group_commit';
import type { GroupView } from '../../writes/group_view';
import type { LedgerFailure, LedgerResult } from '../../ledger_result';
import { toTransactionView, type TransactionRow, type TransactionView } from '../../transaction_view';
import { toCreditBlockView, type CreditBlock, type CreditBlockView, type CreditCategory } from './credit_block';
import { creditBlock } from './entry_blocks';
import { expirationKey, expirationRow } from './expiry';

/** The ledger key of a grant: its caller's id in a namespace of its own (caller_keys.ts reserves `grant:`). */
export const grantKey = (grantId: string): string => `grant:${grantId}`;

export interface GrantInput {
  workspaceId: string;
  /** The id the caller chose (its idempotency key, and what a void names). */
  grantId: string;
  amountMicros: number;
  description: string;
  category: CreditCategory;
  priority: number;
  expiresAtMs: number | null;
}

export interface BlockAndTransaction {
  block: CreditBlockView;
  transaction: TransactionView;
}

/** A grant: a `grant` entry and its block, once per id. A replay answers the entry; the object adds the block. */
export type GrantAnswer = TransactionView & { block?: CreditBlockView };

export class GrantWrite implements GroupWrite<GrantAnswer> {
  readonly workspaceId: string;
  readonly writes: { keys: string[] };
  readonly pipelinable = true;
  private requestHash = '';

  constructor(private readonly input: GrantInput) {
    this.workspaceId = input.workspaceId;
    this.writes = { keys: [grantKey(input.grantId)] };
  }

  async prepare() {
    const { amountMicros, description, category, priority, expiresAtMs } = this.input;
    this.requestHash = await sha256Hex(canonicalJson({ kind: 'grant', amountMicros, description, category, priority, expiresAtMs }));
  }

  decide(view: GroupView, batch: GroupBatch): (committed: Committed) => LedgerResult<GrantAnswer> {
    const { input, requestHash } = this;
    const key = grantKey(input.grantId);
    const known = view.entries.get(key);
    if (known) return () => replay(known, requestHash);
    // A new grant must not be born expired (a replay of one that has expired since still answers).
    let refusal: LedgerFailure | null = null;
    if (input.expiresAtMs !== null && input.expiresAtMs <= view.nowMs) refusal = { ok: false, code: 'invalid_request', message: 'expiresAt: must be in the future.' };
    refusal ??= balanceCapFailure(view.balanceMicros, input.amountMicros, 'amountMicros');
    if (refusal) {
      const failure = refusal;
      batch.lookUpIfRefused(key);
      return (committed: Committed) => {
        const earlier = committed.earlier(key);
        return earlier ? replay(earlier, requestHash) : failure;
      };
    }
    view.balanceMicros += input.amountMicros;
    const nowMs = view.nowMs;
    const row: TransactionRow = {
      seq: 0,
      id: newId('txn', nowMs),
      workspaceId: input.workspaceId,
      idempotencyKey: key,
      requestHash,
      type: 'grant',
      status: 'completed',
      description: input.description,
      amountMicros: input.amountMicros,
      forgivenMicros: 0,
      balanceAfterMicros: view.balanceMicros,
      invoiceUrl: null,
      memberId: null,
      createdAtMs: nowMs,
      settledAtMs: nowMs,
    };
    view.entries.set(key, row);
    batch.entry(row, input.amountMicros);
    const block = creditBlock(view, batch, row.id, input.amountMicros, {
      category: input.category,
      source: 'grant',
      priority: input.priority,
      expiresAtMs: input.expiresAtMs,
      grantId: input.grantId,
    });
    return () => ({ ok: true, replayed: false, value: { ...toTransactionView(row), block: toCreditBlockView(block) } });
  }
}

export interface ExpireTarget {
  /** The block as last known (an open one, or a spent grant read from D1 for its void). */
  block: CreditBlock;
  /** A void (answers even a spent grant, with a zero expiration); else an expiry (nothing if spent). */
  voided: boolean;
}

/**
 * Removes the remainder of blocks: one `expiration` entry each, funded by the block itself, keyed
 * `expire:<block id>`, so a block expires once whichever path (alarm, settlement, void, a retry after
 * an eviction) gets there first; the others find the entry (or the block empty) and answer it.
 */
export class ExpireWrite implements GroupWrite<BlockAndTransaction | null> {
  readonly workspaceId: string;
  readonly reads?: { keys: string[] };
  readonly writes: { keys: string[] };

  constructor(
    workspaceId: string,
    private readonly target: ExpireTarget,
  ) {
    this.workspaceId = workspaceId;
    const keys = [expirationKey(target.block.id)];
    // A void reads its key first: a second void answers the first one's expiration.
    if (target.voided) this.reads = { keys };
    this.writes = { keys };
  }

  decide(view: GroupView, batch: GroupBatch): (committed: Committed) => LedgerResult<BlockAndTransaction | null> {
    const { block, voided } = this.target;
    const key = expirationKey(block.id);
    const spentView = (): CreditBlockView => ({ ...toCreditBlockView(block), remainingMicros: 0 });
    const known = view.entries.get(key);
    const again = voided && simBroken('void_expires_again');
    if (known && !again) return () => ({ ok: true, replayed: true, value: { block: spentView(), transaction: toTransactionView(known) } });
    const open = view.blocks.find(block.id);
    if (!open && !voided) return () => ({ ok: true, replayed: false, value: null });
    const line = open ? view.blocks.takeAll(open) : null;
    const micros = line?.amountMicros ?? 0;
    view.balanceMicros -= micros;
    const row = expirationRow(view.state.workspaceId, open ?? block, micros, view.nowMs, view.balanceMicros, voided, newId('txn', view.nowMs));
    // Broken on purpose: a second void's expiration under a key of its own (written again).
    if (again && known) row.idempotencyKey = `${key}:${view.nowMs}`;
    view.entries.set(key, row);
    batch.entry(row, -micros);
    if (line) batch.funding(row.id, [line]);
    return () => ({ ok: true, replayed: false, value: { block: spentView(), transaction: toTransactionView(row) } });
  }
}
