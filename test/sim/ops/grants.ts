// Credit blocks (docs/credit-blocks.md): grants of either category, any priority, some expiring
// within the next three simulated hours (the clock's steps and jumps then carry them across their
// expiry, and the alarm or an hour's settlement expires them); replays of a grant's id with its body
// (the original grant) and with another body (409); voids, a void again (the first void's answer)
// and a void of an id never granted (404).
import { internal } from '../../helpers/api';
import type { SimWorkspace, World } from '../world';
import { CREDIT, iso, type SimOp } from './op';

async function postGrant(w: World, ws: SimWorkspace, id: string, body: Record<string, unknown>, mode: string) {
  const bodyText = JSON.stringify(body);
  const earlier = w.grants.get(id);
  const res = await internal('POST', '/internal/v1/grants', body);
  if (!earlier) w.grants.set(id, { workspace: ws.index, id, body: bodyText, answer: null, voidTransactionId: null });
  w.note('grant', `ws${ws.index} ${mode} ${body.amountMicros} ${body.category} p${body.priority}${body.expiresAt ? ` until ${w.clock.rel(Date.parse(body.expiresAt as string))}` : ''} → ${res.status}`);
  const sameBody = earlier?.body === bodyText;
  if (earlier && !sameBody && earlier.answer) {
    if (res.status !== 409 && !(w.faultArmed && res.status >= 500)) w.observe('idempotency_one_effect', `grant ${id} reused with another body answered ${res.status}, not 409`);
    return;
  }
  // A grant first tried under a fault and retried once its expiresAt has passed is refused (400).
  const expired = typeof body.expiresAt === 'string' && Date.parse(body.expiresAt) <= w.clock.now();
  const allowed = expired && !earlier?.answer ? [201, 400] : [201];
  if (!w.expectStatus('grant', res.status, allowed, res.body)) return;
  if (res.status !== 201) return;
  const answer = { transactionId: res.body.transaction.id as string, blockId: res.body.block.id as string };
  if (earlier?.answer) {
    if (earlier.answer.transactionId !== answer.transactionId || earlier.answer.blockId !== answer.blockId) {
      w.observe('idempotency_one_effect', `grant ${id} replayed as ${answer.transactionId}/${answer.blockId}, first answered ${earlier.answer.transactionId}/${earlier.answer.blockId}`);
    }
    return;
  }
  ws.transactionIds.push(answer.transactionId);
  const grant = w.grants.get(id)!;
  grant.body = bodyText;
  grant.answer = answer;
}

const answered = (w: World) => [...w.grants.values()].filter((g) => g.answer !== null);

const grant: SimOp = {
  name: 'grant',
  weight: (w) => (w.workspaces.length > 0 ? 6 : 0),
  async run(w) {
    const roll = w.rng.int(0, 99);
    const used = [...w.grants.values()];
    if (used.length > 0 && roll < 22) {
      const earlier = w.rng.pick(used);
      const ws = w.ws(earlier.workspace);
      const body = JSON.parse(earlier.body);
      if (roll < 14) return postGrant(w, ws, earlier.id, body, 'replay');
      return postGrant(w, ws, earlier.id, { ...body, amountMicros: body.amountMicros + 1 }, 'conflict');
    }
    const ws = w.pickWorkspace()!;
    const id = w.nextId('grant');
    const body: Record<string, unknown> = {
      id,
      workspaceId: ws.workspaceId,
      amountMicros: w.rng.int(1, 20) * CREDIT + w.rng.int(0, 999_999),
      description: 'Sim grant',
      category: w.rng.chance(0.5) ? 'paid' : 'promotional',
      priority: w.rng.int(0, 100),
    };
    // Some expire within the next three simulated hours: steps and clock jumps carry them past it.
    if (w.rng.chance(0.5)) body.expiresAt = iso(w.clock.now() + w.rng.int(1, 3 * 3600) * 1_000);
    return postGrant(w, ws, id, body, 'new');
  },
};

const voidGrant: SimOp = {
  name: 'void_grant',
  weight: (w) => (w.grants.size > 0 ? 3 : 0),
  async run(w) {
    const grants = answered(w);
    if (grants.length === 0 || w.rng.chance(0.1)) {
      const id = w.nextId('nogrant');
      const res = await internal('POST', `/internal/v1/grants/${id}/void`);
      w.note('void_grant', `unknown ${id} → ${res.status}`);
      w.expectStatus('void of an unknown grant', res.status, [404], res.body);
      return;
    }
    const g = w.rng.pick(grants);
    const res = await internal('POST', `/internal/v1/grants/${g.id}/void`);
    w.note('void_grant', `ws${g.workspace} ${g.id}${g.voidTransactionId ? ' again' : ''} → ${res.status}${res.status === 200 ? ` ${res.body.transaction.amountMicros}` : ''}`);
    if (!w.expectStatus('void', res.status, [200], res.body)) return;
    const txn = res.body.transaction as { id: string; type: string; amountMicros: number };
    if (txn.type !== 'expiration' || txn.amountMicros > 0) w.observe('answers_as_documented', `void of ${g.id} answered ${JSON.stringify(txn)}`);
    if (res.body.block.remainingMicros !== 0) w.observe('answers_as_documented', `void of ${g.id} left its block ${res.body.block.remainingMicros}`);
    if (g.voidTransactionId && g.voidTransactionId !== txn.id) {
      w.observe('block_expires_once', `grant ${g.id} voided again as ${txn.id}, first void ${g.voidTransactionId}`);
    }
    g.voidTransactionId ??= txn.id;
    w.ws(g.workspace).transactionIds.push(txn.id);
  },
};

export const grantOps: SimOp[] = [grant, voidGrant];
