import type { Env } from '../env';
import { loadPriceBook, type PriceBook } from './pricing';
import { directoryD1 } from '../storage/databases';

// The Worker's copy of the price book, for validating requests before anything is written. The
// ledger objects price with their own copy, which they check against D1 on every commit; this one
// only has to be fresh enough to tell a known model from an unknown one, and reloads on a miss.
const TTL_MS = 5_000;
let cached: { book: PriceBook; loadedAtMs: number } | null = null;

export async function workerPriceBook(env: Env, forceReload = false): Promise<PriceBook> {
  if (!forceReload && cached && Date.now() - cached.loadedAtMs < TTL_MS) return cached.book;
  cached = { book: await loadPriceBook(directoryD1(env)), loadedAtMs: Date.now() };
  return cached.book;
}

export function forgetPriceBook() {
  cached = null;
}
