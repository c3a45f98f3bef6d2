import { z } from '@hono/zod-openapi';
import { desc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { priceLists } from '../../schema/tables';
import { MAX_MICROS_PER_EXECUTION, MAX_MICROS_PER_GB_MONTH, MAX_MICROS_PER_INSTANCE_HOUR, MAX_MICROS_PER_MILLION_TOKENS } from './amount_limits';

// Each price is bounded so that one event, one resource line of an hour, stays far inside exact
// integers: amount_limits.ts derives the bounds.
const Price = (max: number) => z.int().min(0).max(max);
const Name = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_\-:.\/@]*$/, 'must be letters, digits and _ - : . / @');

export const PricingSchema = z
  .object({
    models: z
      .array(z.object({ model: Name, inputMicrosPerMillionTokens: Price(MAX_MICROS_PER_MILLION_TOKENS), outputMicrosPerMillionTokens: Price(MAX_MICROS_PER_MILLION_TOKENS) }))
      .max(1000),
    instanceTypes: z.array(z.object({ instanceType: Name, microsPerHour: Price(MAX_MICROS_PER_INSTANCE_HOUR) })).max(1000),
    storage: z.object({ microsPerGbMonth: Price(MAX_MICROS_PER_GB_MONTH) }),
    toolExecution: z.object({ microsPerExecution: Price(MAX_MICROS_PER_EXECUTION) }),
  })
  .superRefine((p, ctx) => {
    const dup = (names: string[]) => names.find((n, i) => names.indexOf(n) !== i);
    const model = dup(p.models.map((m) => m.model));
    if (model) ctx.addIssue({ code: 'custom', path: ['models'], message: `model "${model}" is listed twice` });
    const type = dup(p.instanceTypes.map((t) => t.instanceType));
    if (type) ctx.addIssue({ code: 'custom', path: ['instanceTypes'], message: `instance type "${type}" is listed twice` });
  })
  .openapi('Pricing');

export type Pricing = z.infer<typeof PricingSchema>;

export interface PriceVersion {
  version: number;
  effectiveFromMs: number;
  pricing: Pricing;
  models: Map<string, { input: number; output: number }>;
  instanceTypes: Map<string, number>;
}

export interface PriceSegment {
  fromMs: number;
  toMs: number;
  prices: PriceVersion;
}

/** All price versions, oldest first; answers which prices were in force at any instant. */
export class PriceBook {
  readonly versions: PriceVersion[];

  constructor(rows: Array<{ version: number; effectiveFromMs: number; pricingJson: string }>) {
    this.versions = rows
      .map((row) => {
        const pricing = JSON.parse(row.pricingJson) as Pricing;
        return {
          version: row.version,
          effectiveFromMs: row.effectiveFromMs,
          pricing,
          models: new Map(pricing.models.map((m) => [m.model, { input: m.inputMicrosPerMillionTokens, output: m.outputMicrosPerMillionTokens }])),
          instanceTypes: new Map(pricing.instanceTypes.map((t) => [t.instanceType, t.microsPerHour])),
        };
      })
      .sort((a, b) => a.effectiveFromMs - b.effectiveFromMs || a.version - b.version);
    if (this.versions.length === 0) throw new Error('no price list in force');
  }

  get latest(): PriceVersion {
    return this.versions[this.versions.length - 1]!;
  }

  get latestVersion(): number {
    return Math.max(...this.versions.map((v) => v.version));
  }

  byVersion(version: number): PriceVersion {
    const found = this.versions.find((v) => v.version === version);
    if (!found) throw new Error(`unknown price version ${version}`);
    return found;
  }

  at(ms: number): PriceVersion {
    let current = this.versions[0]!;
    for (const v of this.versions) {
      if (v.effectiveFromMs <= ms) current = v;
      else break;
    }
    return current;
  }

  /**
   * The one rule for an instance type a price list no longer lists: an instance already running
   * keeps the last rate it was listed at, until it stops (starting a type the list in force lacks is
   * refused, so every running instance was listed by some version at or before `prices`). Used by
   * settlement, the open-hour estimate and the burn rate alike, so they never disagree.
   */
  instanceRate(prices: PriceVersion, instanceType: string): number {
    const listed = prices.instanceTypes.get(instanceType);
    if (listed !== undefined) return listed;
    for (let i = this.versions.indexOf(prices) - 1; i >= 0; i--) {
      const earlier = this.versions[i]!.instanceTypes.get(instanceType);
      if (earlier !== undefined) return earlier;
    }
    throw new Error(`instance type ${instanceType} has no price in version ${prices.version} or before`);
  }

  /**
   * A model's price in the version an event was priced against. Ingestion refuses a model the
   * version in force does not list, and versions never change, so a miss is a broken invariant.
   */
  modelPrice(version: number, model: string): { input: number; output: number } {
    const price = this.byVersion(version).models.get(model);
    if (!price) throw new Error(`model ${model} has no price in version ${version}`);
    return price;
  }

  /** Splits [fromMs, toMs) at every price change inside it. */
  segments(fromMs: number, toMs: number): PriceSegment[] {
    const out: PriceSegment[] = [];
    let cursor = fromMs;
    while (cursor < toMs) {
      const prices = this.at(cursor);
      const next = this.versions.find((v) => v.effectiveFromMs > cursor);
      const end = next ? Math.min(next.effectiveFromMs, toMs) : toMs;
      out.push({ fromMs: cursor, toMs: end, prices });
      cursor = end;
    }
    return out;
  }
}

export async function loadPriceBook(db: D1Database): Promise<PriceBook> {
  const rows = await drizzle(db)
    .select({ version: priceLists.version, effectiveFromMs: priceLists.effectiveFromMs, pricingJson: priceLists.pricingJson })
    .from(priceLists)
    .orderBy(desc(priceLists.version))
    .all();
  return new PriceBook(rows);
}

export async function latestPriceVersion(db: D1Database): Promise<number> {
  const row = await db.prepare('SELECT MAX(version) AS v FROM price_lists').first<{ v: number }>();
  return row?.v ?? 0;
}
