// Migration 0008 rebuilds `transactions` (SQLite cannot alter a CHECK) to admit the `dispute` type.
// Its rebuild is run again here over a ledger with history, in one batch as D1 runs a migration:
// every row and the seq order survive, the unique indexes and the append-only triggers of 0001 are
// back, and the new CHECK admits `dispute` and nothing unknown.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, grant } from '../helpers/fixtures';
import { CREDIT, insertEntry } from './ledger_helpers';

const db = () => env.DB;

/** The statements of 0008 from the rebuild on (the new tables before it are not re-runnable). */
function rebuildStatements(): string[] {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith('0008_'));
  if (!migration) throw new Error('migration 0008 not found');
  // Each query may carry comments and the breakpoint marker before its statement.
  const at = migration.queries.findIndex((q) => q.replace(/--[^\n]*\n?/g, '').trim().startsWith('PRAGMA defer_foreign_keys'));
  expect(at).toBeGreaterThan(0);
  return migration.queries.slice(at);
}

const allRows = () => db().prepare('SELECT * FROM transactions ORDER BY seq').all().then((r) => r.results);

let ws: string;
let grantId: string;
let pendingId: string;

beforeAll(async () => {
  ws = (await createWorkspace('Migration 0008')).workspaceId;
  grantId = (await grant(ws, 5 * CREDIT)).id as string;
  const pending = insertEntry(ws, { status: 'pending', type: 'deposit', amountMicros: CREDIT });
  await pending.statement.run();
  pendingId = pending.id;
});

describe('migration 0008 (transactions rebuilt for the dispute type)', () => {
  it('keeps every row and the seq order, and new rows continue the sequence', async () => {
    const before = await allRows();
    expect(before.length).toBeGreaterThanOrEqual(2);
    await db().batch(rebuildStatements().map((q) => db().prepare(q)));
    expect(await allRows()).toEqual(before);
    const next = insertEntry(ws, { status: 'pending', type: 'dispute', amountMicros: 0 });
    await next.statement.run();
    const seq = await db().prepare('SELECT seq FROM transactions WHERE id = ?').bind(next.id).first<number>('seq');
    expect(seq).toBeGreaterThan(Math.max(...before.map((r) => r.seq as number)));
  });

  it('the append-only triggers and the indexes are back', async () => {
    const names = (await db().prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 'transactions' AND type IN ('trigger', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").all()).results;
    expect(names).toEqual([
      { type: 'index', name: 'transactions_id' },
      { type: 'trigger', name: 'transactions_no_delete' },
      { type: 'trigger', name: 'transactions_pending_transition' },
      { type: 'trigger', name: 'transactions_settled_immutable' },
      { type: 'index', name: 'transactions_workspace_idempotency' },
      { type: 'index', name: 'transactions_workspace_seq' },
    ]);
    await expect(db().prepare('UPDATE transactions SET amount_micros = 1 WHERE id = ?').bind(grantId).run()).rejects.toThrow(/append-only/);
    await expect(db().prepare('DELETE FROM transactions WHERE id = ?').bind(pendingId).run()).rejects.toThrow(/append-only/);
    await expect(db().prepare('UPDATE transactions SET amount_micros = 2 WHERE id = ?').bind(pendingId).run()).rejects.toThrow(/append-only/);
    const duplicate = insertEntry(ws, { key: (await db().prepare('SELECT idempotency_key AS k FROM transactions WHERE id = ?').bind(grantId).first<string>('k'))!, status: 'pending', type: 'deposit', amountMicros: 1 });
    await expect(duplicate.statement.run()).rejects.toThrow(/UNIQUE/);
  });

  it('admits dispute entries and still refuses unknown types', async () => {
    const dispute = insertEntry(ws, { status: 'failed', type: 'dispute', amountMicros: -CREDIT });
    await dispute.statement.run();
    const bogus = insertEntry(ws, { status: 'failed', type: 'chargeback', amountMicros: -CREDIT });
    await expect(bogus.statement.run()).rejects.toThrow(/transactions_type_valid|CHECK/);
  });
});
