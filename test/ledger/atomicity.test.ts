// The database's own guarantees, tested on the ledger shards directly (no Worker code in the way): a D1 batch
// is all or nothing, the ledger is append-only, balances are never deleted nor negative.
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, grant, unique } from '../helpers/fixtures';
import { firstInAnyShard, shardD1Of } from '../helpers/ledger_checks';
import { balanceRow, completedSum, CREDIT, creditCheck, insertBlockFor, insertEntry, ledgerRows } from './ledger_helpers';

/** The ledger shard of the workspace (the tables under test live there). */
const db = (workspaceId: string) => shardD1Of(workspaceId);

const moveBalance = (workspaceId: string, deltaMicros: number) =>
  db(workspaceId).prepare('UPDATE balances SET balance_micros = balance_micros + ?, updated_at_ms = ? WHERE workspace_id = ?').bind(deltaMicros, Date.now(), workspaceId);

const rowById = (id: string) => firstInAnyShard<Record<string, unknown>>('SELECT * FROM transactions WHERE id = ?', id);

// One workspace with some history made through the API, used by the append-only checks. Its
// Durable Object has loaded, so the tests below never change its balance directly.
let funded: { workspaceId: string; grantTxnId: string };

beforeAll(async () => {
  const ws = await createWorkspace('Atomicity');
  const granted = await grant(ws.workspaceId, 5 * CREDIT);
  funded = { workspaceId: ws.workspaceId, grantTxnId: granted.id };
});

describe('a D1 batch is all or nothing', () => {
  it('a failing balance update (CHECK balance >= 0) as last statement undoes the ledger insert before it', async () => {
    const { workspaceId } = await createWorkspace('Batch rollback: check');
    const { id, statement } = insertEntry(workspaceId, { amountMicros: -7 * CREDIT, type: 'usage' });

    await expect(db(workspaceId).batch([statement, moveBalance(workspaceId, -7 * CREDIT)])).rejects.toThrow(/CHECK constraint failed|balances_non_negative/);

    expect(await rowById(id)).toBeNull();
    expect(await ledgerRows(workspaceId)).toEqual([]);
    expect(await balanceRow(workspaceId)).toBe(0);
  });

  it('a duplicate idempotency key as last statement undoes the ledger insert and the balance update before it', async () => {
    const { workspaceId } = await createWorkspace('Batch rollback: duplicate key');
    const key = unique('dup-key');
    const first = insertEntry(workspaceId, { key, amountMicros: 3 * CREDIT, balanceAfterMicros: 3 * CREDIT });
    const duplicate = insertEntry(workspaceId, { key, amountMicros: 3 * CREDIT, balanceAfterMicros: 3 * CREDIT });

    await expect(db(workspaceId).batch([first.statement, moveBalance(workspaceId, 3 * CREDIT), duplicate.statement])).rejects.toThrow(/UNIQUE constraint failed/);

    expect(await rowById(first.id)).toBeNull();
    expect(await rowById(duplicate.id)).toBeNull();
    expect(await balanceRow(workspaceId)).toBe(0);
  });

  it('a trigger refusal as last statement undoes everything before it', async () => {
    const { workspaceId } = await createWorkspace('Batch rollback: trigger');
    const entry = insertEntry(workspaceId, { amountMicros: 2 * CREDIT, balanceAfterMicros: 2 * CREDIT });
    const deleteIt = db(workspaceId).prepare('DELETE FROM transactions WHERE id = ?').bind(entry.id);

    await expect(db(workspaceId).batch([entry.statement, moveBalance(workspaceId, 2 * CREDIT), deleteIt])).rejects.toThrow(/append-only/);

    expect(await rowById(entry.id)).toBeNull();
    expect(await balanceRow(workspaceId)).toBe(0);
    // The workspace's ledger (loaded from D1 now, for the first time) agrees: still nothing.
    expect((await creditCheck(workspaceId, 0)).body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
  });

  it('the same batch without the failing statement does commit (the rollbacks above were caused by it)', async () => {
    const { workspaceId } = await createWorkspace('Batch commit');
    const entry = insertEntry(workspaceId, { amountMicros: 4 * CREDIT, balanceAfterMicros: 4 * CREDIT });

    await db(workspaceId).batch([entry.statement, moveBalance(workspaceId, 4 * CREDIT), insertBlockFor(workspaceId, entry.id, 4 * CREDIT)]);

    expect(await rowById(entry.id)).toMatchObject({ amount_micros: 4 * CREDIT, status: 'completed' });
    expect(await balanceRow(workspaceId)).toBe(4 * CREDIT);
    expect(await completedSum(workspaceId)).toBe(4 * CREDIT);
    expect((await creditCheck(workspaceId, 4 * CREDIT)).body).toEqual({ allowed: true, balanceMicros: 4 * CREDIT });
  });
});

describe('the ledger is append-only', () => {
  it('a completed entry cannot change its amount', async () => {
    await expect(db(funded.workspaceId).prepare('UPDATE transactions SET amount_micros = amount_micros + 1 WHERE id = ?').bind(funded.grantTxnId).run()).rejects.toThrow(
      /append-only/,
    );
    expect(await rowById(funded.grantTxnId)).toMatchObject({ amount_micros: 5 * CREDIT, status: 'completed' });
  });

  it('a completed entry cannot change its status, nor any other field', async () => {
    for (const change of ["status = 'failed'", "status = 'pending'", "description = 'rewritten'", 'balance_after_micros = 0', 'forgiven_micros = 1']) {
      await expect(db(funded.workspaceId).prepare(`UPDATE transactions SET ${change} WHERE id = ?`).bind(funded.grantTxnId).run(), change).rejects.toThrow(
        /append-only/,
      );
    }
    expect(await rowById(funded.grantTxnId)).toMatchObject({ status: 'completed', description: 'Test grant', balance_after_micros: 5 * CREDIT, forgiven_micros: 0 });
  });

  it('no ledger entry can be deleted, whatever its status', async () => {
    const pending = insertEntry(funded.workspaceId, { status: 'pending', type: 'deposit', amountMicros: CREDIT });
    const failed = insertEntry(funded.workspaceId, { status: 'failed', type: 'deposit', amountMicros: CREDIT });
    await db(funded.workspaceId).batch([pending.statement, failed.statement]);

    for (const id of [funded.grantTxnId, pending.id, failed.id]) {
      await expect(db(funded.workspaceId).prepare('DELETE FROM transactions WHERE id = ?').bind(id).run()).rejects.toThrow(/delete refused/);
      expect(await rowById(id)).not.toBeNull();
    }
    await expect(db(funded.workspaceId).prepare('DELETE FROM transactions WHERE workspace_id = ?').bind(funded.workspaceId).run()).rejects.toThrow(/delete refused/);
    expect(await ledgerRows(funded.workspaceId)).toHaveLength(3);
  });

  it('a balances row cannot be deleted', async () => {
    await expect(db(funded.workspaceId).prepare('DELETE FROM balances WHERE workspace_id = ?').bind(funded.workspaceId).run()).rejects.toThrow(/never deleted/);
    expect(await balanceRow(funded.workspaceId)).toBe(5 * CREDIT);
  });

  it('a balance cannot be set negative', async () => {
    await expect(db(funded.workspaceId).prepare('UPDATE balances SET balance_micros = -1 WHERE workspace_id = ?').bind(funded.workspaceId).run()).rejects.toThrow(
      /CHECK constraint failed|balances_non_negative/,
    );
    await expect(moveBalance(funded.workspaceId, -5 * CREDIT - 1).run()).rejects.toThrow(/CHECK constraint failed|balances_non_negative/);
    expect(await balanceRow(funded.workspaceId)).toBe(5 * CREDIT);
  });
});

describe('a pending entry settles once', () => {
  it('may move to completed (with its balance, in one batch) but not change its amount; once completed it is frozen', async () => {
    const { workspaceId } = await createWorkspace('Pending settles');
    const entry = insertEntry(workspaceId, { status: 'pending', type: 'deposit', amountMicros: 6 * CREDIT });
    await entry.statement.run();

    // Still pending: its amount cannot change, with or without settling.
    await expect(db(workspaceId).prepare('UPDATE transactions SET amount_micros = ? WHERE id = ?').bind(7 * CREDIT, entry.id).run()).rejects.toThrow(
      /a pending entry may only settle/,
    );
    await expect(
      db(workspaceId).prepare(`UPDATE transactions SET status = 'completed', amount_micros = ? WHERE id = ?`).bind(7 * CREDIT, entry.id).run(),
    ).rejects.toThrow(/a pending entry may only settle/);
    // Nor can it move to a status other than completed or failed.
    await expect(db(workspaceId).prepare(`UPDATE transactions SET status = 'accumulating' WHERE id = ?`).bind(entry.id).run()).rejects.toThrow(
      /a pending entry may only settle/,
    );
    expect(await rowById(entry.id)).toMatchObject({ status: 'pending', amount_micros: 6 * CREDIT });

    // Settling is allowed, filling in the settlement fields; the balance moves in the same batch.
    const settledAt = Date.now();
    await db(workspaceId).batch([
      db(workspaceId)
        .prepare(
          `UPDATE transactions SET status = 'completed', settled_at_ms = ?,
             balance_after_micros = (SELECT balance_micros FROM balances WHERE workspace_id = ?) + amount_micros
           WHERE id = ?`,
        )
        .bind(settledAt, workspaceId, entry.id),
      moveBalance(workspaceId, 6 * CREDIT),
      insertBlockFor(workspaceId, entry.id, 6 * CREDIT),
    ]);
    expect(await rowById(entry.id)).toMatchObject({ status: 'completed', amount_micros: 6 * CREDIT, balance_after_micros: 6 * CREDIT, settled_at_ms: settledAt });
    expect(await balanceRow(workspaceId)).toBe(6 * CREDIT);
    expect(await completedSum(workspaceId)).toBe(6 * CREDIT);

    // Once completed, nothing changes again.
    for (const change of ["status = 'failed'", "status = 'completed'", 'amount_micros = 1', 'settled_at_ms = 0']) {
      await expect(db(workspaceId).prepare(`UPDATE transactions SET ${change} WHERE id = ?`).bind(entry.id).run(), change).rejects.toThrow(
        /append-only/,
      );
    }
    expect(await rowById(entry.id)).toMatchObject({ status: 'completed', amount_micros: 6 * CREDIT });
    // The workspace's ledger object, loading for the first time, finds a consistent balance.
    expect((await creditCheck(workspaceId, 6 * CREDIT)).body).toEqual({ allowed: true, balanceMicros: 6 * CREDIT });
  });

  it('may move to failed, and a failed entry is frozen too', async () => {
    const { workspaceId } = await createWorkspace('Pending fails');
    const entry = insertEntry(workspaceId, { status: 'pending', type: 'auto_recharge', amountMicros: 2 * CREDIT });
    await entry.statement.run();

    await db(workspaceId).prepare(`UPDATE transactions SET status = 'failed', settled_at_ms = ? WHERE id = ?`).bind(Date.now(), entry.id).run();
    expect(await rowById(entry.id)).toMatchObject({ status: 'failed', amount_micros: 2 * CREDIT });

    await expect(db(workspaceId).prepare(`UPDATE transactions SET status = 'completed' WHERE id = ?`).bind(entry.id).run()).rejects.toThrow(
      /append-only/,
    );
    expect(await completedSum(workspaceId)).toBe(0);
    expect(await balanceRow(workspaceId)).toBe(0);
  });
});
