// Where a far region's public reads start their D1 session (docs/regions.md "Reads near the
// caller"). Kept in the workspace's regional object, in memory: every write made through this
// region (spends decided here, calls decided at home, public writes by API keys here) bumps
// `writeSeq`; a read needs a bookmark that covers every write up to it. When it has
// none, the object gets one from home (its spends reported, home's entries projected, a bookmark
// taken on the primary): the only reads that cross to home are those right after a write.
// A fresh object (first use, or restarted after an eviction) cannot know what an earlier life
// let through, so it starts with one write not covered: its first read gets a bookmark from home.

/** What a read starts from: the bookmark, and the version it had (a read's own bookmark is kept only if it is still current). */
export interface ReadFloor {
  bookmark: string | null;
  version: number;
}

export class ReadFloors {
  private writeSeq = 1;
  private coveredSeq = 0;
  private bookmark: string | null = null;
  private version = 0;
  /** The sync in flight and the writes it covers: reads that need no more join it. */
  private syncing: { target: number; promise: Promise<void> } | null = null;

  /** True when the bookmark covers every write marked so far (a read would not call home). */
  get covered(): boolean {
    return this.coveredSeq >= this.writeSeq;
  }

  /** How many writes this region has marked (in this life of its object): what a cached read was taken after. */
  get writes(): number {
    return this.writeSeq;
  }

  /**
   * A write was decided through this region (called after it is recorded, before it is answered):
   * a floor synced before this call does not cover it, so the caller's next read syncs again.
   */
  wrote(): void {
    this.writeSeq += 1;
  }

  /** The bookmark every write so far is under; `sync` (home's bookmark, after the region's spends are there) when it has none. */
  async floor(sync: () => Promise<string | null>): Promise<ReadFloor> {
    // Only the writes made before this read asked: later ones are not its own last write.
    const need = this.writeSeq;
    while (this.coveredSeq < need) {
      const target = this.writeSeq;
      if (!this.syncing || this.syncing.target < target) {
        const run = { target, promise: Promise.resolve() };
        run.promise = sync()
          .then((bookmark) => {
            // A sync that covers less than one already finished must not move the bookmark back.
            if (target <= this.coveredSeq) return;
            this.coveredSeq = target;
            this.bookmark = bookmark;
            this.version += 1;
          })
          .finally(() => {
            if (this.syncing === run) this.syncing = null;
          });
        this.syncing = run;
      }
      await this.syncing.promise;
    }
    return { bookmark: this.bookmark, version: this.version };
  }

  /** A read started at `version` reached `bookmark`: later reads start there (never older), unless the floor moved meanwhile. */
  readReached(version: number, bookmark: string | null): void {
    if (bookmark === null || version !== this.version) return;
    this.bookmark = bookmark;
    this.version += 1;
  }
}
