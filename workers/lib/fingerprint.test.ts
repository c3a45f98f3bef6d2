import { describe, expect, it } from 'vitest';
import { fingerprint128 } from './fingerprint';

describe('fingerprint128', () => {
  it('is 32 hex digits, stable, and differs for texts that differ in one character', () => {
    const a = fingerprint128('{"id":"evt-1","inputTokens":1200}');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(fingerprint128('{"id":"evt-1","inputTokens":1200}')).toBe(a);
    expect(fingerprint128('{"id":"evt-1","inputTokens":1201}')).not.toBe(a);
    expect(fingerprint128('')).not.toBe(fingerprint128(' '));
  });

  it('has no collisions across 100,000 similar events', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(fingerprint128(`{"id":"ev-${i}","inputTokens":${1000 + (i % 97)}}`));
    expect(seen.size).toBe(100_000);
  });
});
