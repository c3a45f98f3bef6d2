// Holds (docs/holds.md) through the internal API: made with and without a member, for amounts the
// balance covers, exactly what it can spend and one micro more (402, nothing held), for short ttls
// (steps and clock jumps carry them past expiry); replays of an id with its body (the hold as it
// stands) and with another body or from another workspace (409). Captures of 0, less, as much and
// more than was held (the excess taken as far as the balance covers, the rest forgiven), of expired
// holds (still captured), again with the same amount (the original) and another (409
// idempotency_conflict), of released holds (409 hold_closed); releases, of captured holds (409
// hold_closed). Now and then the ledger object is evicted between a hold and its capture or release.
// A share of them is called from a far region (regions.ts): a hold its region's lease covers is kept
// there and captured or released there, whichever region the call comes from (its id's claim says
// where, docs/regions.md "Hold ids"); a capture there takes the excess from the region's free lease
// after asking home for more.
import { evictIfRunning } from '../sim_helpers';
import { internal } from '../../helpers/api';
import { shardD1Of } from '../../helpers/ledger_checks';
import type { Region } from '../../../workers/regions/regions';
import { checkWithinLease, creditCameIn, decidedInOf, FAR_REGIONS, freeLeasesMicros, fromRegion, pickCallerRegion, regionalFactsOf, watchRegistry } from '../regions';
import { activeInModel, HOME_REGION, ledgerStubOf, type SimHold, type SimWorkspace, type World } from '../world';
import { checkLimitRefusal, checkWithinLimit } from './limit_checks';
import { CREDIT, type SimOp } from './op';

const errorCode = (body: any): unknown => body?.error?.code;

export async function availableMicros(ws: SimWorkspace): Promise<number | null> {
  const res = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`);
  return res.status === 200 ? (res.body.balanceMicros as number) : null;
}

/** The hold as the answer shows it, into the model. */
function learn(h: SimHold, answer: any): void {
  if (!answer || typeof answer.status !== 'string') return;
  h.expiresAtMs = Date.parse(answer.expiresAt);
  if (answer.status === 'held' || answer.status === 'expired') h.state = 'held';
  else if (answer.status === 'released') {
    h.state = 'released';
    h.releasedBy = answer.capturedMicros === 0 ? 'capture_zero' : 'release';
  } else if (answer.status === 'captured') {
    h.state = 'captured';
    h.capture = { amountMicros: answer.capturedMicros, transactionId: answer.transactionId };
  }
}

async function createHold(w: World, ws: SimWorkspace, body: Record<string, unknown>, mode: string, region: Region = HOME_REGION): Promise<void> {
  const id = body.id as string;
  const bodyText = JSON.stringify(body);
  const earlier = ws.holds.get(id);
  const res = await fromRegion(w, ws, region, 'POST', '/internal/v1/holds', body);
  watchRegistry(w, region, id);
  const decidedIn = decidedInOf(res);
  w.note('hold', `ws${ws.index} ${mode} ${id} ${body.amountMicros}${body.memberId ? ' member' : ''} ttl ${body.ttlSeconds}s${region !== HOME_REGION ? ` from ${region}` : ''} → ${res.status}${decidedIn && decidedIn !== HOME_REGION ? ` in ${decidedIn}` : ''}${res.status >= 400 ? ` ${errorCode(res.body)}` : ''}`);
  const h: SimHold = earlier ?? {
    id,
    workspace: ws.index,
    body: bodyText,
    memberId: (body.memberId as string | undefined) ?? null,
    amountMicros: body.amountMicros as number,
    expiresAtMs: 0,
    state: 'unknown',
    releasedBy: null,
    capture: null,
    callerRegion: region,
    decidedIn: null,
  };
  if (!earlier) ws.holds.set(id, h);
  const known = earlier && earlier.state !== 'unknown';
  if (known && earlier.body !== bodyText) {
    if (res.status !== 409 && !(w.faultArmed && res.status >= 500)) w.observe('idempotency_one_effect', `hold ${id} reused with another body answered ${res.status}, not 409`);
    return;
  }
  // A hold whose making a fault left open, tried with another body: 409 if it was made.
  const allowed = known ? [201] : earlier ? [201, 402, 409] : [201, 402];
  if (!w.expectStatus('hold', res.status, allowed, res.body)) {
    // A 5xx leaves it open whether the hold was made.
    if (res.status >= 500 && !known) h.state = 'unknown';
    return;
  }
  if (res.status === 409) return;
  if (res.status === 402) {
    checkLimitRefusal(w, ws, (body.memberId as string | undefined) ?? null, errorCode(res.body), `hold ${id}`);
    if (mode === 'over' && !w.faultArmed && errorCode(res.body) !== 'insufficient_credits') w.observe('answers_as_documented', `hold ${id} of one micro more than available refused with ${errorCode(res.body)}`);
    if (mode === 'exact' && !body.memberId && !w.faultArmed) w.observe('answers_as_documented', `hold ${id} of exactly the available ${body.amountMicros} refused (${errorCode(res.body)})`);
    if (!known) ws.holds.delete(id);
    return;
  }
  const answer = res.body;
  if (answer.id !== id || answer.amountMicros !== body.amountMicros || answer.workspaceId !== ws.workspaceId) {
    w.observe('idempotency_one_effect', `hold ${id} answered ${JSON.stringify(answer).slice(0, 200)}`);
  }
  if (known && earlier.state === 'captured' && (answer.status !== 'captured' || answer.transactionId !== earlier.capture?.transactionId)) {
    w.observe('hold_one_end', `hold ${id} was captured as ${earlier.capture?.transactionId}, its replay answers ${answer.status} ${answer.transactionId}`);
  }
  const fresh = !known;
  if (fresh) h.decidedIn = decidedIn === HOME_REGION ? null : decidedIn;
  learn(h, answer);
  h.body = bodyText;
  h.amountMicros = answer.amountMicros;
  h.memberId = answer.memberId ?? null;
  if (fresh) await checkWithinLimit(w, ws, h.memberId, `hold ${id} of ${h.amountMicros}`);
  if (fresh && h.decidedIn) await checkWithinLease(w, ws, h.decidedIn, `hold ${id} of ${h.amountMicros}`);
}

const hold: SimOp = {
  name: 'hold',
  weight: (w) => (w.workspaces.length > 0 ? 9 : 0),
  async run(w) {
    const ws = w.pickWorkspace()!;
    const roll = w.rng.int(0, 99);
    const made = [...ws.holds.values()];
    if (made.length > 0 && roll < 18) {
      const earlier = w.rng.pick(made);
      const body = JSON.parse(earlier.body);
      // Sent again from where it was first asked for (callers retry from where they called).
      if (roll < 10) return createHold(w, ws, body, 'replay', earlier.callerRegion);
      if (roll < 15 || w.workspaces.length < 2 || w.forcedWorkspace) return createHold(w, ws, { ...body, amountMicros: body.amountMicros + 1 }, 'conflict', earlier.callerRegion);
      // The same id from another workspace: 409, and that workspace holds nothing (once every
      // region knows of the claim).
      const other = w.rng.pick(w.workspaces.filter((o) => o !== ws));
      // Claimed in a far region: home learns of the claim when that region's registry tells it
      // (about a second later; docs/regions.md, "Hold ids"); until then it may give the id to this
      // workspace too, and both holds stand. Once told, 409 like an id claimed at home.
      const untold = earlier.callerRegion !== HOME_REGION && !w.toldHoldIds.has(earlier.id);
      const res = await internal('POST', '/internal/v1/holds', { ...body, workspaceId: other.workspaceId, memberId: undefined });
      watchRegistry(w, HOME_REGION, earlier.id);
      w.note('hold', `ws${other.index} ws${ws.index}'s id ${earlier.id}${earlier.callerRegion !== HOME_REGION ? ` (claimed in ${earlier.callerRegion}, ${untold ? 'not yet told' : 'told'})` : ''} → ${res.status}`);
      if (res.status >= 500 && !other.holds.has(earlier.id)) {
        other.holds.set(earlier.id, { ...earlier, workspace: other.index, memberId: null, state: 'unknown', capture: null, releasedBy: null, callerRegion: HOME_REGION, decidedIn: null });
      }
      // Not yet known to be made (a 5xx): the id may be free, and then it is this workspace's now.
      const allowed = earlier.state === 'unknown' || untold ? [201, 402, 409] : [409];
      w.expectStatus('hold with another workspace\'s id', res.status, allowed, res.body);
      if (res.status === 201) other.holds.set(earlier.id, { ...earlier, workspace: other.index, memberId: null, body: JSON.stringify({ ...body, workspaceId: other.workspaceId, memberId: undefined }), state: 'held', expiresAtMs: Date.parse(res.body.expiresAt), capture: null, releasedBy: null, callerRegion: HOME_REGION, decidedIn: null });
      return;
    }
    const id = w.nextId('hold');
    const region = pickCallerRegion(w);
    const shape = w.rng.int(0, 9);
    const available = await availableMicros(ws);
    // Mostly what the balance covers (up to 60 % of it, so that a few holds stand at once).
    let amountMicros = available !== null && available > 2 ? w.rng.int(1, Math.max(1, Math.floor(available * 0.6))) : w.rng.int(1, 3 * CREDIT);
    let mode = 'new';
    // Exactly what home can give (from a far region: refused if another region's lease holds the rest);
    // one micro more than home and every region's free lease together: never granted anywhere.
    if (shape === 8 && available !== null && available > 0) [amountMicros, mode] = [available, region === HOME_REGION ? 'exact' : 'home exact'];
    else if (shape === 9 && available !== null) [amountMicros, mode] = [available + (await freeLeasesMicros(ws, w.clock.now())) + 1, 'over'];
    // Short: the clock's steps (up to 4 min) and jumps (hours) carry many past their expiry.
    const ttlSeconds = w.rng.chance(0.5) ? w.rng.int(60, 900) : w.rng.int(900, 7_200);
    const memberId = w.rng.chance(0.6) ? w.rng.pick(ws.members).memberId : undefined;
    const body = { id, workspaceId: ws.workspaceId, amountMicros, ttlSeconds, description: 'Sim hold', ...(memberId ? { memberId } : {}) };
    await createHold(w, ws, body, mode, region);
    const res = ws.holds.get(id);
    if (mode === 'over' && res && res.state === 'held' && !(await creditCameIn(w, ws))) w.observe('never_below_zero', `ws${ws.index}: hold ${id} of ${amountMicros} granted${region !== HOME_REGION ? ` from ${region}` : ''} with ${available} available at home (and the regions' free leases one micro less than the rest)`);
  },
};

/** A known hold of some workspace (any state), or null. */
function pickHold(w: World): { ws: SimWorkspace; h: SimHold } | null {
  const all = (w.forcedWorkspace ? [w.forcedWorkspace] : w.workspaces).flatMap((ws) => [...ws.holds.values()].map((h) => ({ ws, h })));
  if (all.length === 0) return null;
  // Mostly the ones still open.
  const open = all.filter(({ h }) => h.state === 'held');
  return w.rng.pick(open.length > 0 && w.rng.chance(0.7) ? open : all);
}

/** An object evicted between a hold and its capture or release: both must come through it. */
async function maybeEvict(w: World, ws: SimWorkspace): Promise<string> {
  if (!w.rng.chance(0.25)) return '';
  await evictIfRunning(ledgerStubOf(ws.workspaceId));
  return ' (evicted first)';
}

/** The burn-down order (docs/credit-blocks.md), written here apart from the ledger's own. */
interface BlockNow {
  id: string;
  category: string;
  priority: number;
  expiresAtMs: number | null;
  createdAtMs: number;
  remaining: number;
}
function burnDown(a: BlockNow, b: BlockNow): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.expiresAtMs !== b.expiresAtMs) return a.expiresAtMs === null ? 1 : b.expiresAtMs === null ? -1 : a.expiresAtMs - b.expiresAtMs;
  if (a.category !== b.category) return a.category === 'promotional' ? -1 : 1;
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs - b.createdAtMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

async function openBlocks(ws: SimWorkspace): Promise<BlockNow[]> {
  await ledgerStubOf(ws.workspaceId).projected();
  const rows = await shardD1Of(ws.workspaceId)
    .prepare(
      `SELECT id, category, priority, expires_at_ms AS expiresAtMs, created_at_ms AS createdAtMs, remaining_micros AS remaining
         FROM credit_blocks WHERE workspace_id = ? AND remaining_micros > 0`,
    )
    .bind(ws.workspaceId)
    .all<BlockNow>();
  return rows.results;
}

/** A capture's funding against the burn-down order over the blocks open just before it. */
async function checkFunding(w: World, ws: SimWorkspace, h: SimHold, before: BlockNow[], txn: { id: string; amountMicros: number }): Promise<void> {
  // A block past its expiry may be expired by the same call: the order is then not the capture's alone.
  if (before.some((b) => b.expiresAtMs !== null && b.expiresAtMs <= w.clock.now())) return;
  let left = -txn.amountMicros;
  const expected: string[] = [];
  for (const b of [...before].sort(burnDown)) {
    if (left <= 0) break;
    const take = Math.min(left, b.remaining);
    expected.push(`${b.id}:${take}`);
    left -= take;
  }
  await ledgerStubOf(ws.workspaceId).projected();
  const funding = await shardD1Of(ws.workspaceId)
    .prepare('SELECT block_id AS blockId, amount_micros AS amount FROM credit_funding WHERE transaction_id = ? AND workspace_id = ?')
    .bind(txn.id, ws.workspaceId)
    .all<{ blockId: string; amount: number }>();
  // Whether the funding adds up to the charge is debit_funded's (and credit_blocks_add_up's) to say; here only its order.
  if (funding.results.reduce((sum, f) => sum + f.amount, 0) !== -txn.amountMicros) return;
  const got = funding.results.map((f) => `${f.blockId}:${f.amount}`).sort();
  if (JSON.stringify(got) !== JSON.stringify([...expected].sort())) {
    w.observe('hold_one_end', `capture of ${h.id} (${txn.id}) funded ${got.join(', ') || 'by nothing'}; burn-down order takes ${expected.join(', ') || 'nothing'}`);
  }
}

const capture: SimOp = {
  name: 'capture_hold',
  weight: (w) => (w.workspaces.some((ws) => ws.holds.size > 0) ? 8 : 0),
  async run(w) {
    const picked = pickHold(w);
    if (!picked) return;
    const { ws, h } = picked;
    const shape = w.rng.int(0, 9);
    let amountMicros: number;
    let mode: string;
    if (h.state === 'captured' && h.capture && shape < 6) [amountMicros, mode] = [shape < 3 ? h.capture.amountMicros : h.capture.amountMicros + 1, shape < 3 ? 'again' : 'again, another amount'];
    else if (shape === 0) [amountMicros, mode] = [0, 'zero'];
    else if (shape <= 3) [amountMicros, mode] = [w.rng.int(1, h.amountMicros), 'less'];
    else if (shape <= 6) [amountMicros, mode] = [h.amountMicros, 'equal'];
    else [amountMicros, mode] = [h.amountMicros + w.rng.int(1, shape === 9 ? 40 * CREDIT : CREDIT), 'more'];
    const evicted = await maybeEvict(w, ws);
    const region = callRegionFor(w, h);
    // A hold kept in a far region is captured there, wherever the call comes from (its id's claim says where).
    const inRegion = h.decidedIn !== null;
    const live = h.state === 'held' && h.expiresAtMs > w.clock.now();
    // Funding is written at home when the capture is decided there (a far region's is written when it reports).
    const before = amountMicros > 0 && h.state === 'held' && !w.faultArmed && h.decidedIn === null ? await openBlocks(ws) : null;
    // What the balance less every hold covers now (in a far region: its free lease and the hold's own
    // reservation): the capture takes at least that much of its amount.
    const spendableBefore = amountMicros > 0 && h.state === 'held' && !w.faultArmed ? (inRegion ? await regionalCover(ws, h) : before ? await availableMicros(ws) : null) : null;
    const res = await fromRegion(w, ws, region, 'POST', `/internal/v1/holds/${h.id}/capture`, { amountMicros, workspaceId: ws.workspaceId });
    const txn = res.body?.transaction as { id: string; type: string; status: string; amountMicros: number; forgivenMicros?: number } | null | undefined;
    w.note('capture_hold', `ws${ws.index} ${h.id} (${h.state}${h.state === 'held' && !live ? ', expired' : ''}${h.decidedIn ? `, kept in ${h.decidedIn}` : ''}) ${mode} ${amountMicros}${evicted}${region !== HOME_REGION ? ` from ${region}` : ''} → ${res.status}${inRegion && res.status === 200 ? ` in ${h.decidedIn}` : ''}${res.status === 200 && txn ? ` took ${-txn.amountMicros}` : res.status >= 400 ? ` ${errorCode(res.body)}` : ''}`);
    const expected = expectedCapture(h, amountMicros);
    // A closed hold captured (again): a second end, not just a wrong answer.
    if (res.status === 200 && expected.code) {
      w.observe('hold_one_end', `${h.state} hold ${h.id} captured with ${amountMicros}: ${res.body.hold.status} ${res.body.hold.transactionId}, not 409 ${expected.code}`);
      return;
    }
    if (!w.expectStatus('capture', res.status, expected.statuses, res.body)) {
      if (res.status >= 500) h.state = 'unknown';
      return;
    }
    // (404: only a hold whose making is unknown may be missing.)
    if (res.status === 404) return;
    if (res.status === 409) {
      if (expected.code && errorCode(res.body) !== expected.code) w.observe('hold_one_end', `capture of ${h.id} (${h.state}) answered 409 ${errorCode(res.body)}, not ${expected.code}`);
      return;
    }
    const answer = res.body.hold;
    if (h.state === 'captured' && h.capture && (answer.transactionId !== h.capture.transactionId || txn?.id !== h.capture.transactionId)) {
      w.observe('hold_one_end', `hold ${h.id} captured as ${h.capture.transactionId}, captured again as ${txn?.id}`);
    }
    if (amountMicros === 0) {
      if (answer.status !== 'released' || txn) w.observe('hold_one_end', `capture of 0 of ${h.id} answered ${answer.status} with ${JSON.stringify(txn)}`);
      learn(h, answer);
      return;
    }
    if (!txn || answer.status !== 'captured' || txn.type !== 'usage' || txn.status !== 'completed' || answer.transactionId !== txn.id) {
      w.observe('hold_one_end', `capture of ${h.id} answered hold ${answer.status} ${answer.transactionId}, transaction ${JSON.stringify(txn)}`);
      return;
    }
    if (answer.capturedMicros !== amountMicros || -txn.amountMicros + (txn.forgivenMicros ?? 0) !== amountMicros || txn.amountMicros > 0) {
      w.observe('hold_one_end', `capture of ${amountMicros} of ${h.id}: captured ${answer.capturedMicros}, took ${-txn.amountMicros}, forgave ${txn.forgivenMicros}`);
    }
    const first = h.state !== 'captured';
    learn(h, answer);
    if (!first) return;
    ws.transactionIds.push(txn.id);
    if (inRegion) await checkWithinLease(w, ws, h.decidedIn!, `capture of ${amountMicros} of ${h.id}`);
    // Something forgiven: the capture took at least all the balance less the holds covered before it
    // (its own reservation may add to that). Read before, not after: an auto-recharge the capture
    // set off may already have brought credit back.
    if ((txn.forgivenMicros ?? 0) > 0 && spendableBefore !== null && -txn.amountMicros < Math.min(amountMicros, spendableBefore)) {
      w.observe('hold_one_end', `capture of ${amountMicros} of ${h.id}${inRegion ? ` in ${h.decidedIn}` : ''} took ${-txn.amountMicros} and forgave ${txn.forgivenMicros}, with ${spendableBefore} spendable before it${inRegion ? ' (its own hold and the free lease)' : ''}`);
    }
    if (before) await checkFunding(w, ws, h, before, txn);
  },
};

/**
 * Where a capture or release of the hold is sent from: mostly where it was asked for; now and then
 * from elsewhere (where the hold was decided decides it again: its region, or home).
 */
function callRegionFor(w: World, h: SimHold): Region {
  if (w.forcedRegion) return w.forcedRegion;
  if (w.regionShare === 0 || w.rng.chance(0.9)) return h.callerRegion;
  return w.rng.pick([HOME_REGION, ...FAR_REGIONS]);
}


/**
 * What a far region's capture can take without forgiving: its lease less the other live holds and
 * the unreported spends (the hold's own reservation is in there, live or expired: an expired one is
 * freed into the lease by the call).
 */
async function regionalCover(ws: SimWorkspace, h: SimHold): Promise<number> {
  const facts = await regionalFactsOf(ws, h.decidedIn!);
  if (!facts.lease) return 0;
  const nowMs = Date.now();
  const others = facts.holds.filter((r) => r.status === 'held' && r.atHome === 0 && r.expiresAtMs > nowMs && r.id !== h.id).reduce((sum, r) => sum + r.amountMicros, 0);
  return Math.max(0, facts.lease.leaseMicros - others - facts.unreportedMicros);
}

/** What a capture of `amountMicros` must answer, by what the simulator knows of the hold. */
function expectedCapture(h: SimHold, amountMicros: number): { statuses: number[]; code?: string } {
  if (h.state === 'unknown') return { statuses: [200, 404, 409] };
  if (h.state === 'captured') return amountMicros === h.capture?.amountMicros ? { statuses: [200] } : { statuses: [409], code: 'idempotency_conflict' };
  if (h.state === 'released') return amountMicros === 0 && h.releasedBy === 'capture_zero' ? { statuses: [200] } : { statuses: [409], code: 'hold_closed' };
  return { statuses: [200] };
}

const release: SimOp = {
  name: 'release_hold',
  weight: (w) => (w.workspaces.some((ws) => ws.holds.size > 0) ? 5 : 0),
  async run(w) {
    const picked = pickHold(w);
    if (!picked) return;
    const { ws, h } = picked;
    const evicted = await maybeEvict(w, ws);
    const region = callRegionFor(w, h);
    // Without workspaceId the hold is found by its id alone (the workspace that claimed it): only for an id tried in one workspace.
    const shared = w.workspaces.filter((o) => o.holds.has(h.id)).length > 1;
    const withWorkspace = shared || w.rng.chance(0.7);
    const res = await fromRegion(w, ws, region, 'POST', `/internal/v1/holds/${h.id}/release`, withWorkspace ? { workspaceId: ws.workspaceId } : undefined);
    w.note('release_hold', `ws${ws.index} ${h.id} (${h.state}${h.state === 'held' && h.expiresAtMs <= w.clock.now() ? ', expired' : ''}${h.decidedIn ? `, kept in ${h.decidedIn}` : ''})${evicted}${region !== HOME_REGION ? ` from ${region}` : ''} → ${res.status}${h.decidedIn && res.status === 200 ? ` in ${h.decidedIn}` : ''}${res.status === 200 ? ` ${res.body.hold.status}` : res.status >= 400 ? ` ${errorCode(res.body)}` : ''}`);
    if (res.status === 200 && h.state === 'captured') {
      w.observe('hold_one_end', `captured hold ${h.id} released: ${res.body.hold.status}, not 409 hold_closed`);
      return;
    }
    const statuses = h.state === 'unknown' ? [200, 404, 409] : h.state === 'captured' ? [409] : [200];
    if (!w.expectStatus('release', res.status, statuses, res.body)) {
      if (res.status >= 500) h.state = 'unknown';
      return;
    }
    if (res.status === 409 && h.state === 'captured' && errorCode(res.body) !== 'hold_closed') w.observe('hold_one_end', `release of captured ${h.id} answered ${errorCode(res.body)}`);
    if (res.status !== 200) return;
    const answer = res.body.hold;
    const wasActive = activeInModel(h, w.clock.now());
    if (wasActive && answer.status !== 'released') w.observe('hold_one_end', `release of ${h.id} (${h.state}) answered ${answer.status}`);
    learn(h, answer);
  },
};

export const holdOps: SimOp[] = [hold, capture, release];
