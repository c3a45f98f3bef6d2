import { describe, expect, it } from 'vitest';
import { copiesOf, dedupeCards } from './dedupe_cards';

const pm = (id: string, fingerprint: string | null, created: number) => ({ id, created, card: { fingerprint } });

describe('dedupeCards', () => {
  const visaOld = pm('pm_visa_old', 'fpVisa', 100);
  const visaNew = pm('pm_visa_new', 'fpVisa', 200);
  const master = pm('pm_master', 'fpMaster', 150);

  it('shows a card saved twice once: the newest copy, in the order given', () => {
    expect(dedupeCards([visaNew, master, visaOld], null).map((c) => c.id)).toEqual(['pm_visa_new', 'pm_master']);
  });

  it('keeps the copy that is the default, whichever is newer', () => {
    expect(dedupeCards([visaNew, master, visaOld], 'pm_visa_old').map((c) => c.id)).toEqual(['pm_master', 'pm_visa_old']);
  });

  it('treats a PaymentMethod without a fingerprint as its own card', () => {
    expect(dedupeCards([pm('a', null, 1), pm('b', null, 2)], null).map((c) => c.id)).toEqual(['a', 'b']);
  });

  it('finds every copy of a card (what removing it detaches)', () => {
    expect(copiesOf([visaNew, master, visaOld], visaOld).map((c) => c.id)).toEqual(['pm_visa_new', 'pm_visa_old']);
    expect(copiesOf([visaNew, master], master).map((c) => c.id)).toEqual(['pm_master']);
  });
});
