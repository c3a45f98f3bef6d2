// What the simulator knows about the system it drives: its workspaces, the keys it used and what
// they were first answered, the usage events it sent, the Stripe objects it made, the webhooks
// Stripe has sent but nobody delivered yet, and the trace of what it did. Operations (ops/) change
// it; invariants (invariants.ts) read it beside the system's own state.
import { env } from 'cloudflare:workers';
import type { SimBreakRule, SimControl } from '../../workers/lib/sim_hooks';
import type { Region } from '../../workers/regions/regions';
import type { SimClock } from './clock';
import { Prng } from './prng';

export interface SimMember {
  memberId: string;
  apiKey: string;
}

export interface SimDeposit {
  /** The ledger key's Stripe object: the Checkout Session (cs_…) or null for a saved-card payment. */
  sessionId: string | null;
  transactionId: string;
  amountCents: number;
  paymentIntentId: string | null;
  chargeId: string | null;
  refundedCents: number;
  disputed: boolean;
}

/**
 * A hold as the simulator knows it from the answers it got. `state` 'unknown': a call that may have
 * changed it was answered 5xx (a fault); the next answer about it settles it again.
 */
export interface SimHold {
  id: string;
  workspace: number;
  body: string;
  memberId: string | null;
  amountMicros: number;
  expiresAtMs: number;
  state: 'held' | 'captured' | 'released' | 'unknown';
  /** How a released hold was closed: a release, or a capture of 0 (a capture of 0 again answers it). */
  releasedBy: 'release' | 'capture_zero' | null;
  /** The capture the simulator saw answered: what it asked and the transaction it was given. */
  capture: { amountMicros: number; transactionId: string } | null;
  /** Where it was asked for (its replays, captures and releases are sent from there: docs/regions.md). */
  callerRegion: Region;
  /** Where it was decided: a far region keeps it in its regional object (null: at home, or not yet known). */
  decidedIn: Region | null;
}

/** A member's spend limit as the simulator set it: every limit it may be now (a 5xx leaves old and new). */
export type SimLimit = { limitMicros: number; period: 'day' | 'month' } | null;

export interface SimWorkspace {
  /** The order the simulator created it in: how the trace and the digest name it. */
  index: number;
  workspaceId: string;
  adminKey: string;
  members: SimMember[];
  createdAtMs: number;
  deposits: SimDeposit[];
  resources: { id: string; kind: 'instance' | 'volume'; running: boolean; confirmed: boolean }[];
  /** Transaction ids the simulator saw in answers (for cross-workspace reads). */
  transactionIds: string[];
  /** Usage events answered as accepted: id → the event body (as sent). */
  events: Map<string, Record<string, unknown>>;
  /** Every usage event sent, answered or not (a fault may have hidden that it was stored). */
  sent: Map<string, Record<string, unknown>>;
  /** Disputes opened at Stripe. */
  disputes: { id: string; closed: boolean }[];
  /** Holds made in this workspace (or tried: a 5xx or another workspace's id leaves them 'unknown'), by id. */
  holds: Map<string, SimHold>;
  /** Members' spend limits: memberId → the limits it may have now (absent: none ever set). */
  limits: Map<string, SimLimit[]>;
  /** The far regions that were called for this workspace (their regional objects hold leases, holds and spends). */
  regions: Set<Region>;
  /** Alert thresholds as the simulator set them (balanceCents → armed as far as it knows); null: a PUT's outcome is unknown. */
  alerts: Map<number, boolean> | null;
  /** The balance.threshold_crossed events already seen (by id). */
  alertEventsSeen: Set<string>;
  /** How many completed credits and settlements the ledger held at the last check (a rise may hide in a step that adds one). */
  alertRises: number;
  /** How many credit entries (amount > 0, any status) D1 held after the last step: credit came in since when it holds more. */
  creditsSeen: number;
}

/** Every workspace is homed where it was created from: the default region (no header). */
export const HOME_REGION: Region = 'enam';

/** Active as far as the simulator knows: held and not past its expiry (the ledger expires it on its next call). */
export const activeInModel = (h: SimHold, nowMs: number) => h.state === 'held' && h.expiresAtMs > nowMs;

/** A key of an idempotent call: the body it was first answered for, and that answer. */
export interface KeyedEffect {
  workspace: number;
  kind: 'deduction' | 'adjustment';
  key: string;
  body: string;
  /** Set once a call with this key was answered 201 (an earlier 5xx leaves the outcome open). */
  answer: { id: string; amountMicros: number } | null;
  /** Where the key was first sent from: its replays go there too (callers retry from where they called). */
  callerRegion: Region;
  /** Where its 201 was decided (a far region records it at home when it reports). */
  decidedIn: Region | null;
  /**
   * Retried from another region (ops/entries.ts): decided there again, so its answers may name
   * another transaction than the first (docs/regions.md); the ledger still records the key once.
   */
  retriedElsewhere?: boolean;
}

/** A grant the simulator made (POST /internal/v1/grants), by its id. */
export interface SimGrant {
  workspace: number;
  id: string;
  body: string;
  /** Set once a call with this id was answered 201. */
  answer: { transactionId: string; blockId: string } | null;
  /** The expiration the first void answered (a second void must answer the same). */
  voidTransactionId: string | null;
}

export interface TraceEntry {
  step: number;
  at: string;
  op: string;
  detail: string;
}

/** A rule an operation saw broken in an answer; invariants.ts reports it under the rule's name. */
export interface Observation {
  invariant: string;
  detail: string;
}

export class World {
  readonly workspaces: SimWorkspace[] = [];
  readonly keys = new Map<string, KeyedEffect>();
  readonly grants = new Map<string, SimGrant>();
  /** Stripe events that concern this run's workspaces, not yet delivered (oldest first). */
  pendingWebhooks: { id: string; type: string; event: unknown }[] = [];
  readonly seenEventIds = new Set<string>();
  /** Settlement messages the cron enqueued and the simulator holds back, to deliver late. */
  heldMessages: { workspaceId: string; cutoffMs: number }[] = [];
  readonly trace: TraceEntry[] = [];
  /**
   * Hold-id registries with claims not yet told to the other regions (ops/holds.ts adds one per new
   * hold id; regions.ts advanceClock fires their alarms as the clock passes them, then forgets them).
   */
  readonly untoldRegistries = new Map<string, { region: Region; holdIds: string[] }>();
  /** Hold ids whose registry has told every other region of its claims since they were claimed. */
  readonly toldHoldIds = new Set<string>();
  observations: Observation[] = [];
  /** Set by the reconciliation operation: its mismatches for this run's workspaces after a repair run. */
  reconciledMismatches: string[] | null = null;
  /** True while an injected fault may make the current step's answers 5xx. */
  faultArmed = false;
  step = 0;
  /** The simulated instant the current step's operation began (after the step's clock move). */
  stepStartMs = 0;
  /** The chance that a deduction, hold, capture, release or credit check is called from a far region. */
  regionShare = 0;
  /** Note each workspace's state after every step (`--trace-out`: two runs' traces diff where they part). */
  stateTrace = false;
  /** Set during a burst of calls from one region (ops/regions.ts): every call comes from there, for this workspace. */
  forcedRegion: Region | null = null;
  forcedWorkspace: SimWorkspace | null = null;
  /** The run's weights multiplied per operation name (SimOptions.focus): bursts choose their calls with them too. */
  focus: Record<string, number> = {};
  private counter = 0;
  /**
   * Draws of what came after the seeds' runs were tuned (retries from another region): a stream of
   * their own, so that adding them left the main stream's draws where they were.
   */
  readonly sideRng: Prng;

  constructor(
    readonly seed: number,
    readonly rng: Prng,
    readonly clock: SimClock,
    readonly control: SimControl,
  ) {
    this.sideRng = new Prng(seed ^ 0x0ddb_a11);
  }

  /** A seeded id, unique in this isolate's run (the run number keeps two runs of one seed apart). */
  nextId(label: string): string {
    return `sim${this.seed.toString(36)}r${runNumber}-${label}-${(this.counter++).toString(36)}`;
  }

  note(op: string, detail: string): void {
    this.trace.push({ step: this.step, at: this.clock.rel(this.clock.now()), op, detail });
  }

  observe(invariant: string, detail: string): void {
    this.observations.push({ invariant, detail });
  }

  /**
   * An answer that is neither documented for this call nor explained by an injected fault: a 5xx
   * while no fault is armed, or a status the operation does not allow.
   */
  expectStatus(what: string, status: number, allowed: readonly number[], body: unknown): boolean {
    if (allowed.includes(status)) return true;
    if (this.faultArmed && status >= 500) return false;
    this.observe('answers_as_documented', `${what} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    return false;
  }

  ws(index: number): SimWorkspace {
    return this.workspaces[index]!;
  }

  pickWorkspace(): SimWorkspace | null {
    if (this.forcedWorkspace) return this.forcedWorkspace;
    return this.workspaces.length === 0 ? null : this.rng.pick(this.workspaces);
  }

  get broken(): SimBreakRule | null {
    return this.control.break;
  }
}

let runNumber = 0;
/** Each run in this isolate gets its own number (ids stay unique when a seed runs twice). */
export const newRunNumber = () => ++runNumber;

export const ledgerStubOf = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));
