// The same card saved twice (paid with at Checkout, then added again through "Add a card") is two
// PaymentMethods at Stripe with one `card.fingerprint`. People see cards, not PaymentMethods: the
// list shows each card once. Decision: duplicates are folded on listing (nothing at Stripe changes
// when a card is saved, so a payment in flight on the older copy is never disturbed), and removing
// a card detaches every copy of it, so that it does not come back from behind.

export interface CardLike {
  id: string;
  created?: number;
  card?: { fingerprint?: string | null } | null;
}

const groupKey = (pm: CardLike) => pm.card?.fingerprint ?? `pm:${pm.id}`;

/**
 * Each card once, in the order given: of the copies of one card (same fingerprint), the default if
 * it is one of them, else the newest. A PaymentMethod without a fingerprint is its own card.
 */
export function dedupeCards<T extends CardLike>(cards: readonly T[], defaultId: string | null): T[] {
  const kept = new Map<string, T>();
  for (const pm of cards) {
    const key = groupKey(pm);
    const current = kept.get(key);
    if (!current) kept.set(key, pm);
    else if (current.id !== defaultId && (pm.id === defaultId || (pm.created ?? 0) > (current.created ?? 0))) kept.set(key, pm);
  }
  const keep = new Set([...kept.values()].map((pm) => pm.id));
  return cards.filter((pm) => keep.has(pm.id));
}

/** The copies of `card` among `cards` (itself included): what removing it detaches. */
export function copiesOf<T extends CardLike>(cards: readonly T[], card: CardLike): T[] {
  const key = groupKey(card);
  return cards.filter((pm) => pm.id === card.id || groupKey(pm) === key);
}
