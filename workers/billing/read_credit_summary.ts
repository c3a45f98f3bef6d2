import type { Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { CreditSummary } from '../ledger/ledger_types';

export type PublicCreditSummary = Omit<CreditSummary, 'openSinceMs' | 'nextExpiryCategory' | 'settledThroughMs'>;

/** The credit summary without its internal fields (openSinceMs, nextExpiryCategory, settledThroughMs), as /credits and /plan answer it. */
export const publicSummary = ({ openSinceMs: _internal, nextExpiryCategory: _wording, settledThroughMs: _settled, ...summary }: CreditSummary): PublicCreditSummary => summary;

/** The workspace ledger's credit summary, as the API shows it. */
export async function readCreditSummary(env: Env, workspaceId: string): Promise<PublicCreditSummary> {
  return publicSummary(unwrap(await ledgerFor(env, workspaceId).creditSummary(workspaceId)).value);
}
