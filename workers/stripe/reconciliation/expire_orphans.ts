import { inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { checkoutSessions, workspaces } from '../../../schema/tables';
import type { Env } from '../../env';
import { findByKey } from '../../ledger/entry_replay';
import { directoryDb, ledgerDbOf } from '../../storage/databases';
import { abandonSession } from '../checkout_orphans';
import { callStripe, stripeFor } from '../stripe_client';
import type { Mismatch, Repair } from './report';

/**
 * A session younger than this may be one whose deposit is being opened right now (the request that
 * made it has not finished): it is left alone until the next run.
 */
export const ORPHAN_GRACE_MS = 10 * 60_000;
/** Stripe keeps a Checkout Session open for 24 hours at most; older ones have expired by themselves. */
const OPEN_AT_MOST_MS = 24 * 3_600_000;
/** Bounds one run's work; the next run takes the rest. */
const MAX_LOOKED_AT = 300;

export interface OrphanOutcome {
  repaired: Repair[];
  failed: Mismatch[];
}

/**
 * The backstop of stripe/checkout_orphans.ts: every top-up Checkout Session still open at Stripe
 * (payment mode, made by burnrate for one of this deployment's workspaces, between 24 hours and 10
 * minutes old) that has no pending deposit is expired, so it can no longer be paid. No deposit: the
 * caller was told the top-up failed (Stripe answered too late, or the deposit could not be
 * opened). A deposit no longer pending (failed or cancelled): nothing may be paid for it either.
 * Sessions of workspaces this deployment does not know (another deployment on the same Stripe
 * account) are not touched.
 */
export async function expireOrphanedSessions(env: Env, nowMs: number): Promise<OrphanOutcome> {
  const outcome: OrphanOutcome = { repaired: [], failed: [] };
  const open: Stripe.Checkout.Session[] = [];
  await callStripe('checkout sessions', () =>
    stripeFor(env)
      .checkout.sessions.list({
        status: 'open',
        created: { gte: Math.floor((nowMs - OPEN_AT_MOST_MS) / 1000), lte: Math.floor((nowMs - ORPHAN_GRACE_MS) / 1000) },
        limit: 100,
      })
      .autoPagingEach((session) => {
        if (session.mode === 'payment' && session.metadata?.workspaceId) open.push(session);
        return open.length < MAX_LOOKED_AT ? undefined : false;
      }),
  ).catch((error: unknown) => {
    outcome.failed.push({ workspaceId: '', stripeObjectId: 'checkout.sessions', detail: `open checkout sessions could not be listed: ${String(error)}` });
  });
  if (open.length === 0) return outcome;

  const db = directoryDb(env);
  const known = new Set<string>();
  const mapped = new Map<string, { workspaceId: string; transactionKey: string }>();
  for (let i = 0; i < open.length; i += 90) {
    const slice = open.slice(i, i + 90);
    const wsIds = [...new Set(slice.map((s) => s.metadata!.workspaceId!))];
    for (const row of await db.select({ id: workspaces.id }).from(workspaces).where(inArray(workspaces.id, wsIds)).all()) known.add(row.id);
    const rows = await db
      .select({ sessionId: checkoutSessions.sessionId, workspaceId: checkoutSessions.workspaceId, transactionKey: checkoutSessions.transactionKey })
      .from(checkoutSessions)
      .where(inArray(checkoutSessions.sessionId, slice.map((s) => s.id)))
      .all();
    for (const row of rows) mapped.set(row.sessionId, row);
  }

  for (const session of open) {
    const workspaceId = session.metadata!.workspaceId!;
    if (!known.has(workspaceId)) continue;
    const mapping = mapped.get(session.id);
    let transactionId = session.metadata?.transactionId ?? '';
    let why = 'no deposit was recorded for it (the caller was told the top-up failed)';
    if (mapping) {
      if (mapping.workspaceId !== workspaceId) continue; // not as burnrate made it: for a person, not for us
      const deposit = await findByKey(await ledgerDbOf(env, workspaceId), workspaceId, mapping.transactionKey);
      if (!deposit || deposit.status === 'pending') continue; // a top-up still waiting for its payer
      transactionId = deposit.id;
      why = `its deposit is ${deposit.status}`;
    }
    if (await abandonSession(env, session.id)) {
      outcome.repaired.push({ workspaceId, stripeObjectId: session.id, transactionId, what: `open checkout session expired: ${why}` });
    } else {
      outcome.failed.push({ workspaceId, stripeObjectId: session.id, detail: `open checkout session could not be expired (${why}); the next run tries again` });
    }
  }
  return outcome;
}
