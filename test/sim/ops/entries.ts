// Deductions and adjustments through the internal API: new keys, replays of a key with its body
// (one effect, the original answer) and with another body (409), amounts the balance covers,
// exactly what it holds (zero balance) and one micro more (402).
// A share of deductions is called from a far region (regions.ts): decided there from its lease while
// it covers them, else sent home; a key's replays and conflicts are sent from where it was first sent.
import { internal } from '../../helpers/api';
import type { Region } from '../../../workers/regions/regions';
import { checkWithinLease, creditCameIn, decidedInOf, FAR_REGIONS, freeLeasesMicros, fromRegion, pickCallerRegion } from '../regions';
import { HOME_REGION, type KeyedEffect, type SimWorkspace, type World } from '../world';
import { checkLimitRefusal, checkWithinLimit } from './limit_checks';
import { CREDIT, type SimOp } from './op';

type Kind = 'deduction' | 'adjustment';

async function spendable(ws: SimWorkspace): Promise<number | null> {
  const res = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`);
  return res.status === 200 ? (res.body.balanceMicros as number) : null;
}

/** Sends one keyed entry and checks its answer against what the key was answered before. */
async function post(w: World, ws: SimWorkspace, kind: Kind, key: string, body: Record<string, unknown>, mode: string, region: Region = HOME_REGION) {
  const bodyText = JSON.stringify(body);
  const earlier = w.keys.get(key);
  const res = await fromRegion(w, ws, region, 'POST', kind === 'deduction' ? '/internal/v1/deductions' : '/internal/v1/adjustments', body);
  if (!earlier) w.keys.set(key, { workspace: ws.index, kind, key, body: bodyText, answer: null, callerRegion: region, decidedIn: null });
  const decidedIn = decidedInOf(res);
  w.note(kind, `ws${ws.index} ${mode} ${body.amountMicros}${region !== HOME_REGION ? ` from ${region}` : ''} → ${res.status}${decidedIn && decidedIn !== HOME_REGION ? ` in ${decidedIn}` : ''}${res.status === 201 ? ` after ${res.body.balanceAfterMicros}` : ''}`);
  const sameBody = earlier?.body === bodyText;
  // A retry sent to another region than the key's first try: decided there again (docs/regions.md).
  const retryElsewhere = Boolean(earlier) && region !== earlier!.callerRegion;
  if (earlier && !sameBody && earlier.answer) {
    // A key answered before, reused with another body: 409, nothing recorded.
    if (res.status !== 409 && !(w.faultArmed && res.status >= 500)) w.observe('idempotency_one_effect', `${kind} key ${key} reused with another body answered ${res.status}, not 409`);
    return;
  }
  const allowed = kind === 'deduction' ? [201, 402, 409] : [201, 409];
  if (!w.expectStatus(kind, res.status, allowed, res.body)) return;
  if (res.status === 409) {
    if (!earlier || sameBody) w.observe('idempotency_one_effect', `${kind} key ${key} answered 409 to its own body`);
    return;
  }
  if (res.status === 402) {
    // (Retried elsewhere, a 402 is what that region or home decides anew when it cannot cover it again.)
    if (earlier?.answer && sameBody && !retryElsewhere) w.observe('idempotency_one_effect', `${kind} key ${key} answered 201 before, now 402`);
    checkLimitRefusal(w, ws, body.memberId as string | undefined, res.body?.error?.code, `${kind} ${key}`);
    return;
  }
  const answer = { id: res.body.id as string, amountMicros: res.body.amountMicros as number };
  // More than home's balance and every region's free lease together: granted, a credit was spent twice.
  if (mode.startsWith('over') && !earlier?.answer && !w.faultArmed && !(await creditCameIn(w, ws))) w.observe('never_below_zero', `${kind} ${key} of ${body.amountMicros} (one micro more than home and the regions' free leases hold) granted${region !== HOME_REGION ? ` from ${region}` : ''}`);
  if (typeof res.body.balanceAfterMicros === 'number' && res.body.balanceAfterMicros < 0) {
    w.observe('never_below_zero', `${kind} ${key} answered a balance after of ${res.body.balanceAfterMicros}`);
  }
  if (retryElsewhere && earlier!.answer) {
    // Decided again where it was retried: the same amount, perhaps another transaction (which then
    // exists only in this answer: not one the tenancy check may read). Later answers may name either.
    earlier!.retriedElsewhere = true;
    if (earlier!.answer.amountMicros !== answer.amountMicros) w.observe('idempotency_one_effect', `${kind} key ${key} retried from ${region} took ${answer.amountMicros}, first ${earlier!.answer.amountMicros}`);
    return;
  }
  if (earlier?.answer && earlier.retriedElsewhere) {
    if (earlier.answer.amountMicros !== answer.amountMicros) w.observe('idempotency_one_effect', `${kind} key ${key} replayed for ${answer.amountMicros}, first ${earlier.answer.amountMicros}`);
    return;
  }
  ws.transactionIds.push(answer.id);
  if (earlier?.answer) {
    if (earlier.answer.id !== answer.id || earlier.answer.amountMicros !== answer.amountMicros) {
      w.observe('idempotency_one_effect', `${kind} key ${key} replayed as ${answer.id} (${answer.amountMicros}), first answered ${earlier.answer.id} (${earlier.answer.amountMicros})`);
    }
    return;
  }
  // The first 201 of the key (an earlier attempt may have been refused, or failed with a fault).
  const effect = w.keys.get(key)!;
  if (effect.answer === null) {
    effect.body = bodyText;
    effect.answer = answer;
    effect.decidedIn = decidedIn;
    if (decidedIn && decidedIn !== HOME_REGION) await checkWithinLease(w, ws, decidedIn, `deduction ${key} of ${body.amountMicros}`);
    if (kind === 'deduction') await checkWithinLimit(w, ws, body.memberId as string | undefined, `deduction ${key} of ${body.amountMicros}`);
  }
}

/** A key this workspace used before for this kind, if any (replays and conflicts reuse one). */
function usedKey(w: World, ws: SimWorkspace, kind: Kind): KeyedEffect | null {
  const mine = [...w.keys.values()].filter((k) => k.workspace === ws.index && k.kind === kind && (!w.forcedRegion || k.callerRegion === w.forcedRegion));
  return mine.length === 0 ? null : w.rng.pick(mine);
}

function entryOp(kind: Kind, weight: number): SimOp {
  return {
    name: kind,
    weight: (w) => (w.workspaces.length > 0 ? weight : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const roll = w.rng.int(0, 99);
      const used = usedKey(w, ws, kind);
      if (used && roll < 15) {
        // Now and then a deduction's retry goes to another region than the first try (a caller that
        // moved, or a failover): decided there again, recorded once (docs/regions.md).
        const elsewhere = kind === 'deduction' && w.regionShare > 0 && w.sideRng.chance(0.25) ? w.sideRng.pick([HOME_REGION, ...FAR_REGIONS].filter((r) => r !== used.callerRegion)) : null;
        if (elsewhere) return post(w, ws, kind, used.key, JSON.parse(used.body), `retry from ${elsewhere} (first sent from ${used.callerRegion})`, elsewhere);
        return post(w, ws, kind, used.key, JSON.parse(used.body), 'replay', used.callerRegion);
      }
      if (used && roll < 22) {
        const body = JSON.parse(used.body);
        return post(w, ws, kind, used.key, { ...body, amountMicros: body.amountMicros + (body.amountMicros > 0 ? 1 : -1) }, 'conflict', used.callerRegion);
      }
      const region = kind === 'deduction' ? pickCallerRegion(w) : HOME_REGION;
      const key = w.nextId(kind === 'deduction' ? 'ded' : 'adj');
      let amountMicros: number;
      let mode = 'new';
      if (kind === 'adjustment') {
        amountMicros = w.rng.chance(0.75) ? w.rng.int(1, 30) * CREDIT + w.rng.int(0, 999_999) : -(w.rng.int(1, 15) * CREDIT);
      } else {
        const shape = w.rng.int(0, 9);
        const home = shape >= 7 ? await spendable(ws) : null;
        // What may still be spent anywhere: home's balance and the far regions' free leases.
        const can = home === null ? null : home + (shape >= 8 ? await freeLeasesMicros(ws, w.clock.now()) : 0);
        if (shape === 7 && can !== null && can > 0) [amountMicros, mode] = [can, 'drain'];
        else if (shape >= 8 && can !== null) [amountMicros, mode] = [can + 1, `over (home ${home}, free leases ${can - home!})`];
        else amountMicros = w.rng.int(1, 4 * CREDIT);
      }
      const member = w.rng.pick(ws.members);
      const body = { id: key, workspaceId: ws.workspaceId, amountMicros, description: `Sim ${kind}`, ...(kind === 'deduction' && w.rng.chance(0.5) ? { memberId: member.memberId } : {}) };
      return post(w, ws, kind, key, body, mode, region);
    },
  };
}

export const entryOps: SimOp[] = [entryOp('deduction', 14), entryOp('adjustment', 7)];
