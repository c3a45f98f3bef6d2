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

  it('keeps the fingerprints already stored: known texts give the digits they always gave', () => {
    // Stored request hashes are compared with new ones for the whole retention window: any change
    // of these digits would turn every replay of a stored event into a 409.
    expect(fingerprint128('')).toBe('027ae52ecfc796215593990d4b41437c');
    expect(fingerprint128(' ')).toBe('7fbcc81d816ea9b8c519fa2b4d0f3f3f');
    expect(fingerprint128('{"id":"evt-1","inputTokens":1200}')).toBe('0baa3fed09fbb2cef89624c705d687a1');
    expect(fingerprint128('é€😀')).toBe('ca43e9342e79f265af73d7ab0d20c06e');
    expect(fingerprint128('x'.repeat(1000))).toBe('06349e2a6ee1ec127eb9d9ef88c4f76e');
  });

  it('has no collisions across 100,000 similar events', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(fingerprint128(`{"id":"ev-${i}","inputTokens":${1000 + (i % 97)}}`));
    expect(seen.size).toBe(100_000);
  });
});
