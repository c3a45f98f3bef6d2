import { describe, expect, it } from 'vitest';
import { runtimeText } from './runtime_text';

describe('runtimeText', () => {
  it('words a runtime the way a settled line shows it', () => {
    expect(runtimeText(0)).toBe('0 s');
    expect(runtimeText(58)).toBe('58 ms');
    expect(runtimeText(999)).toBe('999 ms');
    expect(runtimeText(1_000)).toBe('1 s');
    expect(runtimeText(12_400)).toBe('12 s');
    expect(runtimeText(900_000)).toBe('15 min');
    expect(runtimeText(2_142_000)).toBe('35 min 42 s');
    expect(runtimeText(3_600_000)).toBe('1 h');
    expect(runtimeText(7_500_000)).toBe('2 h 5 min');
  });
});
