// What a regional object and the workspace's home ledger say to each other (docs/regions.md).
import type { Region } from './regions';

/**
 * The home ledger keeps each region's escrow lease as a hold of its own under this id: `#` is
 * not allowed in callers' ids (IdempotencyIdSchema), so no caller's hold can ever take it.
 */
export const leaseHoldId = (region: Region): string => `#lease:${region}`;
export const isLeaseHoldId = (holdId: string): boolean => holdId.startsWith('#lease:');

/**
 * A lease is granted only while what home could give (its spendable balance less holds and other
 * leases) is at least this; below it every request goes home and is decided there as before.
 */
export const LEASE_FLOOR_MICROS = 100_000;
/**
 * A grant never takes more than this share (1/LEASE_SHARE_DIVISOR) of what home could give: the
 * rest stays home for other regions and for home's own requests, and leases shrink as the balance
 * falls (each new grant is a fraction of what is left).
 */
export const LEASE_SHARE_DIVISOR = 2;
/**
 * How long home keeps a lease nobody renews before it expires like any hold (a region whose
 * object cannot be reached for an hour). A region stops spending its free lease after
 * LEASE_TERM_MS (regional_ledger.ts), far sooner; this is only the safety valve.
 */
export const LEASE_HOLD_TTL_MS = 60 * 60 * 1000;

/** A spend a region decided and answered, reported to home in a batch (its key is the caller's id). */
export interface ReportedSpend {
  kind: 'deduction' | 'capture';
  /** The ledger key: callerKey(id) for a deduction, holdEntryKey(holdId) for a capture. */
  key: string;
  /** The transaction id the region answered with: home records the entry under it. */
  transactionId: string;
  /** What was asked (a capture's amount, a deduction's). */
  amountMicros: number;
  /** What the region took from its lease for it (a deduction: all of it; a capture: as far as the lease covered). */
  chargedMicros: number;
  description: string;
  memberId: string | null;
}

/** One exchange: spends reported, free lease given back, more asked for. Idempotent by (region, seq). */
export interface LeaseExchange {
  workspaceId: string;
  region: Region;
  /** 1, 2, 3 … per region: a retry sends the same seq and body and gets the first answer. */
  seq: number;
  spends: ReportedSpend[];
  /** Free lease the region took out of its own reach before sending (never spent after that). */
  returnMicros: number;
  /** More lease wanted on top of what it keeps (0: none). */
  wantMicros: number;
}

export interface LeaseAnswer {
  seq: number;
  /** The region's lease as home now holds it (what it kept plus what was granted). */
  leaseMicros: number;
  grantedMicros: number;
  /** What home could still give beyond this region's lease, when answered (the region shows it in balanceMicros). */
  otherMicros: number;
  /** Members with a spend limit: the region sends their requests home. */
  limitedMemberIds: string[];
  answeredAtMs: number;
}
