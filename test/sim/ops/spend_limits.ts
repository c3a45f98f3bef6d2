// Spend limits (docs/holds.md) through the public API with an admin key: a member's limit set per UTC
// day or calendar month, changed and removed; then aimed at the limit: a deduction, a hold or a credit
// check of exactly what the member has left (granted, when the balance covers it) and of one micro
// more (402 spend_limit_exceeded; allowed:false reason spend_limit); and the clock moved to just
// before the next UTC midnight, which is a month start every other time (clock.ts), so that the
// following steps carry the limits across their period's end.
import { publicApi } from '../../helpers/api';
import { nextMidnight } from '../clock';
import { advanceClock, decidedInOf, fromRegion, pickCallerRegion } from '../regions';
import { HOME_REGION, type SimLimit, type SimWorkspace } from '../world';
import { availableMicros } from './holds';
import { checkLimitRefusal, checkWithinLimit, possibleLimits } from './limit_checks';
import { CREDIT, type SimOp } from './op';

const errorCode = (body: any): unknown => body?.error?.code;

function remember(ws: SimWorkspace, memberId: string, limit: SimLimit, certain: boolean): void {
  const before = ws.limits.get(memberId) ?? [null];
  const next = certain ? [limit] : [...before, limit];
  ws.limits.set(memberId, next.filter((l, i) => next.findIndex((o) => JSON.stringify(o) === JSON.stringify(l)) === i));
}

const setLimit: SimOp = {
  name: 'set_spend_limit',
  weight: (w) => (w.workspaces.length > 0 ? 4 : 0),
  async run(w) {
    const ws = w.pickWorkspace()!;
    const member = w.rng.pick(ws.members);
    if (ws.limits.has(member.memberId) && w.rng.chance(0.25)) {
      const res = await publicApi('DELETE', `/v1/billing/spend-limits/${member.memberId}`, ws.adminKey);
      w.note('set_spend_limit', `ws${ws.index} ${member.memberId} removed → ${res.status}`);
      if (w.expectStatus('remove spend limit', res.status, [204], res.body)) remember(ws, member.memberId, null, true);
      else if (res.status >= 500) remember(ws, member.memberId, null, false);
      return;
    }
    // Small enough that the simulator's deductions, holds and usage reach it.
    const limit = { limitMicros: w.rng.int(1, 12) * CREDIT + w.rng.int(0, 999_999), period: w.rng.chance(0.5) ? 'day' : 'month' } as const;
    const res = await publicApi('PUT', `/v1/billing/spend-limits/${member.memberId}`, ws.adminKey, limit);
    w.note('set_spend_limit', `ws${ws.index} ${member.memberId} ${limit.limitMicros} a ${limit.period} → ${res.status}${res.status === 200 ? ` spent ${res.body.spentMicros} held ${res.body.heldMicros}` : ''}`);
    if (!w.expectStatus('set spend limit', res.status, [200], res.body)) {
      if (res.status >= 500) remember(ws, member.memberId, limit, false);
      return;
    }
    remember(ws, member.memberId, limit, true);
    const view = res.body;
    if (view.limitMicros !== limit.limitMicros || view.period !== limit.period || view.remainingMicros !== Math.max(0, limit.limitMicros - view.spentMicros - view.heldMicros)) {
      w.observe('answers_as_documented', `spend limit set to ${JSON.stringify(limit)} answered ${JSON.stringify(view)}`);
    }
  },
};

/** The member's limit as the ledger shows it (null: none, or not answered). */
async function limitView(ws: SimWorkspace, memberId: string): Promise<{ remainingMicros: number; limitMicros: number; period: string } | null> {
  const res = await publicApi('GET', '/v1/billing/spend-limits', ws.adminKey);
  if (res.status !== 200) return null;
  return ((res.body.data ?? []) as { memberId: string; remainingMicros: number; limitMicros: number; period: string }[]).find((l) => l.memberId === memberId) ?? null;
}

const atTheLimit: SimOp = {
  name: 'limited_spend',
  weight: (w) => (w.workspaces.some((ws) => [...ws.limits.keys()].some((m) => possibleLimits(ws, m))) ? 7 : 0),
  async run(w) {
    const candidates = w.workspaces.flatMap((ws) => [...ws.limits.keys()].filter((m) => possibleLimits(ws, m)).map((memberId) => ({ ws, memberId })));
    const { ws, memberId } = w.rng.pick(candidates);
    const view = await limitView(ws, memberId);
    const available = await availableMicros(ws);
    if (!view || available === null) return w.note('limited_spend', `ws${ws.index} ${memberId}: no limit shown or no credit check`);
    const over = w.rng.chance(0.5);
    const amountMicros = view.remainingMicros + (over ? 1 : 0);
    const what = w.rng.pick(['deduction', 'hold', 'credit_check'] as const);
    if (amountMicros <= 0) return w.note('limited_spend', `ws${ws.index} ${memberId}: nothing left of the limit`);
    const covered = available >= amountMicros;
    // From a far region too: a member with a limit is always decided at home (docs/regions.md).
    const region = pickCallerRegion(w);
    let decidedIn: string | null = null;
    let status: number;
    let code: unknown;
    let body: any;
    if (what === 'credit_check') {
      const res = await fromRegion(w, ws, region, 'GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=${amountMicros}&memberId=${memberId}`);
      decidedIn = decidedInOf(res);
      status = res.status;
      body = res.body;
      code = res.status === 200 && res.body.allowed === false ? res.body.reason : null;
    } else {
      const id = w.nextId(what === 'hold' ? 'lhold' : 'lded');
      const path = what === 'hold' ? '/internal/v1/holds' : '/internal/v1/deductions';
      const payload = { id, workspaceId: ws.workspaceId, memberId, amountMicros, description: 'Sim at the limit', ...(what === 'hold' ? { ttlSeconds: w.rng.int(60, 1_800) } : {}) };
      const res = await fromRegion(w, ws, region, 'POST', path, payload);
      decidedIn = decidedInOf(res);
      const far = decidedIn && decidedIn !== HOME_REGION ? (decidedIn as typeof region) : null;
      status = res.status;
      body = res.body;
      code = errorCode(res.body);
      if (what === 'deduction') {
        w.keys.set(id, { workspace: ws.index, kind: 'deduction', key: id, body: JSON.stringify(payload), answer: res.status === 201 ? { id: res.body.id, amountMicros: res.body.amountMicros } : null, callerRegion: region, decidedIn: far });
        if (res.status === 201) ws.transactionIds.push(res.body.id);
      } else if (res.status === 201 || res.status >= 500) {
        ws.holds.set(id, { id, workspace: ws.index, body: JSON.stringify(payload), memberId, amountMicros, expiresAtMs: res.status === 201 ? Date.parse(res.body.expiresAt) : 0, state: res.status === 201 ? 'held' : 'unknown', releasedBy: null, capture: null, callerRegion: region, decidedIn: far });
      }
    }
    const granted = what === 'credit_check' ? status === 200 && body.allowed === true : status === 201;
    w.note('limited_spend', `ws${ws.index} ${what} ${memberId} ${over ? 'one micro over' : 'exactly'} the ${view.remainingMicros} left of ${view.limitMicros} a ${view.period} (${available} available)${region !== HOME_REGION ? ` from ${region}` : ''} → ${status}${decidedIn && decidedIn !== HOME_REGION ? ` in ${decidedIn}` : ''}${code ? ` ${code}` : ''}`);
    // A member with a limit is decided at home wherever it calls from.
    if (decidedIn && decidedIn !== HOME_REGION && !w.faultArmed) w.observe('spend_limit_respected', `ws${ws.index}: ${what} of ${amountMicros} for ${memberId} (limited) decided in ${decidedIn}, not at home`);
    if (!w.expectStatus(`${what} at the limit`, status, what === 'credit_check' ? [200] : [201, 402], body)) return;
    if (w.faultArmed) return;
    checkLimitRefusal(w, ws, memberId, code, `${what} of ${amountMicros}`);
    if (granted) await checkWithinLimit(w, ws, memberId, `${what} of ${amountMicros}`, what === 'credit_check' ? amountMicros : 0);
    // The ledger's own view of the limit and its decision agree: what is left is granted, one more is not.
    if (over && granted) w.observe('spend_limit_respected', `ws${ws.index}: ${what} of ${amountMicros} for ${memberId} granted with ${view.remainingMicros} left of the limit`);
    if (!over && covered && !granted) w.observe('spend_limit_respected', `ws${ws.index}: ${what} of exactly the ${amountMicros} left of ${memberId}'s limit refused (${code})`);
    if (over && covered && !granted && code !== 'spend_limit_exceeded' && code !== 'spend_limit') w.observe('answers_as_documented', `ws${ws.index}: ${what} past ${memberId}'s limit refused with ${code}`);
  },
};

const toMidnight: SimOp = {
  name: 'clock_to_midnight',
  weight: () => 2,
  async run(w) {
    const target = nextMidnight(w.clock.now()) - w.rng.int(1, 20) * 60_000;
    if (target <= w.clock.now()) return w.note('clock_to_midnight', 'already there');
    const ms = target - w.clock.now();
    await advanceClock(w, ms);
    w.note('clock_to_midnight', `+${Math.round(ms / 60_000)} min, to ${new Date(target).toISOString()}`);
  },
};

export const spendLimitOps: SimOp[] = [setLimit, atTheLimit, toMidnight];
