import { describe, expect, it } from 'vitest';
import { ReadFloors } from './read_floor';

/** A sync the test finishes by hand, with the bookmark it names. */
function manualSync() {
  const calls: Array<(bookmark: string) => void> = [];
  const sync = () => new Promise<string | null>((resolve) => calls.push(resolve));
  return { sync, calls };
}

describe('the read floor of a far region', () => {
  it('a fresh floor syncs once; reads after that start from the bookmark the last read reached', async () => {
    const floors = new ReadFloors();
    const { sync, calls } = manualSync();
    const first = floors.floor(sync);
    calls[0]!('b1');
    expect(await first).toEqual({ bookmark: 'b1', version: 1 });
    floors.readReached(1, 'b2');
    expect(await floors.floor(sync)).toEqual({ bookmark: 'b2', version: 2 });
    expect(calls).toHaveLength(1);
  });

  it('a write recorded while a sync is in flight is not covered by it: the next read syncs again', async () => {
    const floors = new ReadFloors();
    const { sync, calls } = manualSync();
    const before = floors.floor(sync);
    floors.wrote(); // decided while home was being asked: its bookmark may predate the write
    calls[0]!('old');
    expect((await before).bookmark).toBe('old');
    const after = floors.floor(sync);
    expect(calls).toHaveLength(2);
    calls[1]!('new');
    expect((await after).bookmark).toBe('new');
  });

  it('concurrent reads join one sync; a read that started before a write does not wait for it', async () => {
    const floors = new ReadFloors();
    const { sync, calls } = manualSync();
    const a = floors.floor(sync);
    const b = floors.floor(sync);
    expect(calls).toHaveLength(1);
    calls[0]!('b1');
    expect(await a).toEqual(await b);
  });

  it('a read reaching a bookmark after the floor moved (a sync for a write) does not move it back', async () => {
    const floors = new ReadFloors();
    const { sync, calls } = manualSync();
    const first = floors.floor(sync);
    calls[0]!('b1');
    const { version } = await first;
    floors.wrote();
    const synced = floors.floor(sync);
    calls[1]!('after-write');
    await synced;
    floors.readReached(version, 'stale-read');
    expect((await floors.floor(sync)).bookmark).toBe('after-write');
  });

  it('an older sync finishing after a newer one leaves the newer bookmark', async () => {
    const floors = new ReadFloors();
    const { sync, calls } = manualSync();
    const older = floors.floor(sync);
    floors.wrote();
    const newer = floors.floor(sync);
    expect(calls).toHaveLength(2);
    calls[1]!('newer');
    calls[0]!('older');
    await Promise.all([older, newer]);
    expect((await floors.floor(sync)).bookmark).toBe('newer');
  });

  it('a sync that fails fails its reads (never a read short of the writes) and the next read syncs again', async () => {
    const floors = new ReadFloors();
    await expect(floors.floor(() => Promise.reject(new Error('home unreachable')))).rejects.toThrow('home unreachable');
    expect(floors.covered).toBe(false);
    expect(await floors.floor(async () => 'b1')).toEqual({ bookmark: 'b1', version: 1 });
    expect(floors.covered).toBe(true);
  });
});
