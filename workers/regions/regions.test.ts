import { describe, expect, it } from 'vitest';
import { regionFromCf, REGIONS } from './regions';

describe('the region of a deployed request (request.cf → region)', () => {
  it.each([
    [{ continent: 'NA', longitude: '-122.4', colo: 'SFO' }, 'wnam'],
    [{ continent: 'NA', longitude: '-73.9', colo: 'EWR' }, 'enam'],
    [{ continent: 'NA', colo: 'LAX' }, 'wnam'],
    [{ continent: 'NA', colo: 'ORD' }, 'enam'],
    [{ continent: 'SA', country: 'BR', colo: 'GRU' }, 'sam'],
    [{ continent: 'EU', country: 'FR', colo: 'CDG' }, 'weur'],
    [{ continent: 'EU', country: 'PL', colo: 'WAW' }, 'eeur'],
    [{ continent: 'AS', country: 'JP', colo: 'NRT' }, 'apac'],
    [{ continent: 'AS', country: 'AE', colo: 'DXB' }, 'me'],
    [{ continent: 'AF', country: 'EG', colo: 'CAI' }, 'me'],
    [{ continent: 'AF', country: 'ZA', colo: 'JNB' }, 'afr'],
    [{ continent: 'OC', country: 'AU', colo: 'SYD' }, 'oc'],
    [{ continent: 'AN' }, 'enam'],
    [{ continent: 'T1' }, 'enam'],
    [{}, 'enam'],
  ] as const)('%o → %s', (cf, region) => {
    expect(regionFromCf(cf)).toBe(region);
  });

  it('no cf at all (a test, a service binding) is the default region', () => {
    expect(regionFromCf(undefined)).toBe('enam');
  });

  it('every answer is one of the nine regions', () => {
    for (const continent of ['NA', 'SA', 'EU', 'AS', 'AF', 'OC', 'AN', 'XX']) expect(REGIONS).toContain(regionFromCf({ continent }));
  });
});
