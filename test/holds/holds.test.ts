// Holds: reserve, capture, release, and what they do to every other spend decision.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { answeredDeduction, createWorkspace, grant, unique } from '../helpers/fixtures';
import { balanceRow, completedSum, ledgerRows } from '../ledger/ledger_helpers';
import { shardD1Of } from '../helpers/ledger_checks';
import { captureHold, createHold, CREDIT, creditCheck, credits, listHolds, releaseHold } from './holds_helpers';

const cpuSmallMicrosPerHour = async () =>
  ((await internal('GET', '/internal/v1/pricing')).body.instanceTypes as Array<{ instanceType: string; microsPerHour: number }>).find((t) => t.instanceType === 'cpu-small')!.microsPerHour;

describe('holds', () => {
  it('200 concurrent holds against a balance that covers 137: exactly 137 granted; balance, held and ledger exact', async () => {
    const ws = await createWorkspace('Concurrent holds');
    const each = 1_234_567;
    await grant(ws.workspaceId, 137 * each);

    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => createHold({ workspaceId: ws.workspaceId, id: unique(`race-${i}`), amountMicros: each })));
    const granted = answers.filter((r) => r.status === 201);
    const refused = answers.filter((r) => r.status === 402);
    expect(granted).toHaveLength(137);
    expect(refused).toHaveLength(63);
    for (const r of refused) expect(r.body.error.code).toBe('insufficient_credits');
    for (const r of granted) expect(r.body).toMatchObject({ status: 'held', amountMicros: each, capturedMicros: null, transactionId: null, memberId: null });

    // Held, not spent: the ledger has not moved; everything spendable is reserved.
    const summary = await credits(ws.adminKey);
    expect(summary.body).toMatchObject({ balanceMicros: 0, heldMicros: 137 * each });
    expect((await creditCheck(ws.workspaceId, 1)).body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    const active = await listHolds(ws.workspaceId);
    expect(active.body.data).toHaveLength(137);
    expect(new Set(active.body.data.map((h: { id: string }) => h.id))).toEqual(new Set(granted.map((r) => r.body.id)));
    expect(await balanceRow(ws.workspaceId)).toBe(137 * each);
    expect(await completedSum(ws.workspaceId)).toBe(137 * each);
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage')).toHaveLength(0);

    // A deduction cannot take held credits.
    expect((await answeredDeduction(ws.workspaceId, 1)).status).toBe(402);

    // Capture them all concurrently (a third less, a third exactly, a third released): the ledger is exact.
    const outcomes = await Promise.all(
      granted.map((r, i) => (i % 3 === 0 ? captureHold(r.body.id, each - 1000) : i % 3 === 1 ? captureHold(r.body.id, each) : releaseHold(r.body.id))),
    );
    for (const o of outcomes) expect(o.status).toBe(200);
    const capturedMicros = granted.reduce((sum, _, i) => sum + (i % 3 === 0 ? each - 1000 : i % 3 === 1 ? each : 0), 0);
    const usage = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(usage).toHaveLength(granted.filter((_, i) => i % 3 !== 2).length);
    expect(usage.every((r) => r.status === 'completed' && r.forgiven_micros === 0)).toBe(true);
    expect(await completedSum(ws.workspaceId)).toBe(137 * each - capturedMicros);
    expect(await balanceRow(ws.workspaceId)).toBe(137 * each - capturedMicros);
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 137 * each - capturedMicros, heldMicros: 0 });
    expect((await listHolds(ws.workspaceId)).body.data).toHaveLength(0);
  });

  it('holds and deductions racing for the same credits: never more granted than the balance, nothing taken twice', async () => {
    const ws = await createWorkspace('Holds and deductions');
    await grant(ws.workspaceId, 60 * CREDIT);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? createHold({ workspaceId: ws.workspaceId, id: unique(`mix-${i}`), amountMicros: CREDIT }) : answeredDeduction(ws.workspaceId, CREDIT, unique(`mix-${i}`)))),
    );
    const holdsGranted = answers.filter((r, i) => i % 2 && r.status === 201).length;
    const deducted = answers.filter((r, i) => !(i % 2) && r.status === 201).length;
    expect(holdsGranted + deducted).toBe(60);
    for (const r of answers) expect([201, 402]).toContain(r.status);
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 0, heldMicros: holdsGranted * CREDIT });
    expect(await balanceRow(ws.workspaceId)).toBe((60 - deducted) * CREDIT);
    expect(await completedSum(ws.workspaceId)).toBe((60 - deducted) * CREDIT);
  });

  it('a hold lowers the balance for checks, deductions and other holds; capture charges once and frees the rest', async () => {
    const ws = await createWorkspace('Hold lifecycle');
    await grant(ws.workspaceId, 10 * CREDIT);
    const id = unique('stream');
    const made = await createHold({ workspaceId: ws.workspaceId, id, amountMicros: 4 * CREDIT, description: 'model stream' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id, workspaceId: ws.workspaceId, status: 'held', amountMicros: 4 * CREDIT, memberId: null });
    expect(Date.parse(made.body.expiresAt) - Date.parse(made.body.createdAt)).toBe(900_000);

    expect((await creditCheck(ws.workspaceId, 6 * CREDIT)).body).toEqual({ allowed: true, balanceMicros: 6 * CREDIT });
    expect((await creditCheck(ws.workspaceId, 6 * CREDIT + 1)).body).toMatchObject({ allowed: false, reason: 'insufficient_credits' });
    expect((await answeredDeduction(ws.workspaceId, 6 * CREDIT + 1)).status).toBe(402);
    expect((await createHold({ workspaceId: ws.workspaceId, amountMicros: 6 * CREDIT + 1 })).status).toBe(402);
    // A runtime quote counts only what holds leave too.
    const quote = await internal('GET', `/internal/v1/quotes/sandbox-runtime?workspaceId=${ws.workspaceId}&instanceType=cpu-small&seconds=60`);
    expect(quote.status).toBe(200);
    expect(quote.body.affordableSeconds).toBe(Math.floor((6 * CREDIT * 3600) / (await cpuSmallMicrosPerHour())));

    // Replay: the same body answers the hold; another body is a conflict.
    const replay = await createHold({ workspaceId: ws.workspaceId, id, amountMicros: 4 * CREDIT, description: 'model stream' });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(made.body);
    expect((await createHold({ workspaceId: ws.workspaceId, id, amountMicros: 3 * CREDIT, description: 'model stream' })).body.error.code).toBe('idempotency_conflict');

    const capture = await captureHold(id, 2_500_000);
    expect(capture.status).toBe(200);
    expect(capture.body.hold).toMatchObject({ id, status: 'captured', capturedMicros: 2_500_000, transactionId: capture.body.transaction.id });
    expect(capture.body.transaction).toMatchObject({ type: 'usage', status: 'completed', amountMicros: -2_500_000, description: 'model stream', balanceAfterMicros: 7_500_000 });
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 7_500_000, heldMicros: 0 });

    // Idempotent: the same amount answers the original; another amount is a conflict; release is hold_closed.
    const again = await captureHold(id, 2_500_000);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(capture.body);
    const other = await captureHold(id, 2_000_000);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    const release = await releaseHold(id);
    expect(release.status).toBe(409);
    expect(release.body.error.code).toBe('hold_closed');
    const usage = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(usage).toHaveLength(1);
    expect((await publicApi('GET', `/v1/billing/transactions/${capture.body.transaction.id}`, ws.adminKey)).body).toMatchObject({ type: 'usage', amountMicros: -2_500_000 });
  });

  it('a capture above the hold takes the excess as far as the balance covers it; the rest is forgiven', async () => {
    const ws = await createWorkspace('Capture excess');
    await grant(ws.workspaceId, 5 * CREDIT);
    const a = await createHold({ workspaceId: ws.workspaceId, amountMicros: 2 * CREDIT });
    const b = await createHold({ workspaceId: ws.workspaceId, amountMicros: 2 * CREDIT });
    // a captures 4 credits: its own 2 plus the 1 nobody holds; b's 2 stay reserved; 1 forgiven.
    const capture = await captureHold(a.body.id, 4 * CREDIT);
    expect(capture.body.transaction).toMatchObject({ amountMicros: -3 * CREDIT, forgivenMicros: CREDIT, balanceAfterMicros: 2 * CREDIT });
    expect(capture.body.hold.capturedMicros).toBe(4 * CREDIT);
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 0, heldMicros: 2 * CREDIT });
    const bCapture = await captureHold(b.body.id, 2 * CREDIT);
    expect(bCapture.body.transaction).toMatchObject({ amountMicros: -2 * CREDIT, forgivenMicros: 0, balanceAfterMicros: 0 });
    expect(await completedSum(ws.workspaceId)).toBe(0);
  });

  it('release frees the hold, is idempotent, and a released hold cannot be captured; capture of 0 releases', async () => {
    const ws = await createWorkspace('Release');
    await grant(ws.workspaceId, 3 * CREDIT);
    const hold = await createHold({ workspaceId: ws.workspaceId, amountMicros: 3 * CREDIT });
    expect((await creditCheck(ws.workspaceId, 1)).body.allowed).toBe(false);
    const released = await releaseHold(hold.body.id);
    expect(released.status).toBe(200);
    expect(released.body.hold).toMatchObject({ status: 'released', capturedMicros: null, transactionId: null });
    expect((await releaseHold(hold.body.id)).body).toEqual(released.body);
    const capture = await captureHold(hold.body.id, CREDIT);
    expect(capture.status).toBe(409);
    expect(capture.body.error.code).toBe('hold_closed');
    expect((await creditCheck(ws.workspaceId, 3 * CREDIT)).body).toEqual({ allowed: true, balanceMicros: 3 * CREDIT });

    const zero = await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT });
    const captured0 = await captureHold(zero.body.id, 0);
    expect(captured0.status).toBe(200);
    expect(captured0.body).toMatchObject({ hold: { status: 'released', capturedMicros: 0 }, transaction: null });
    expect((await captureHold(zero.body.id, 0)).body).toEqual(captured0.body);
    expect((await captureHold(zero.body.id, 5)).body.error.code).toBe('hold_closed');
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage')).toHaveLength(0);
  });

  it('holds never terminate anything: a running instance keeps running while holds reserve every credit', async () => {
    const ws = await createWorkspace('Holds never terminate');
    await grant(ws.workspaceId, 5 * CREDIT);
    const { eventCounts, startInstance } = await import('../zero_balance/zero_balance_helpers');
    const { ledgerStub } = await import('../helpers/ledger_checks');
    expect((await startInstance(ws.workspaceId, unique('res_hold'), 'cpu-small')).status).toBe(201);
    const available = (await creditCheck(ws.workspaceId, 0)).body.balanceMicros as number;
    // Everything spendable held (runtime accrues meanwhile: a micro or two less, if need be).
    let held = await createHold({ workspaceId: ws.workspaceId, amountMicros: available });
    if (held.status === 402) held = await createHold({ workspaceId: ws.workspaceId, amountMicros: available - 1000 });
    expect(held.status).toBe(201);
    expect((await credits(ws.adminKey)).body.balanceMicros).toBeLessThanOrEqual(1000);
    // Enforcement acts on the balance holds aside: nothing to terminate.
    await ledgerStub(ws.workspaceId).checkBalance(ws.workspaceId);
    const running = await shardD1Of(ws.workspaceId).prepare('SELECT COUNT(*) AS n FROM resources WHERE workspace_id = ? AND stopped_at_ms IS NULL').bind(ws.workspaceId).first<{ n: number }>();
    expect(running!.n).toBe(1);
    expect((await eventCounts(ws.workspaceId))['instance.terminated'] ?? 0).toBe(0);
  });

  it('a hold survives the object\'s eviction', async () => {
    const ws = await createWorkspace('Hold eviction');
    await grant(ws.workspaceId, 2 * CREDIT);
    const hold = await createHold({ workspaceId: ws.workspaceId, amountMicros: 1_500_000 });
    const { evictDurableObject } = await import('cloudflare:test');
    const { ledgerStub } = await import('../helpers/ledger_checks');
    await evictDurableObject(ledgerStub(ws.workspaceId));
    expect((await listHolds(ws.workspaceId)).body.data.map((h: { id: string }) => h.id)).toEqual([hold.body.id]);
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 500_000, heldMicros: 1_500_000 });
    expect((await createHold({ workspaceId: ws.workspaceId, amountMicros: 500_001 })).status).toBe(402);
  });
});
