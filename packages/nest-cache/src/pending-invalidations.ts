/**
 * Invalidations this process could not write (the store failed or timed out). Until one is
 * applied, reads of its workspace and subject bypass the cache; before any other read uses the
 * cache, they are retried, so an outage never ends with a stale hit served by this process.
 */
export class PendingInvalidations {
  private readonly versionKeys = new Set<string>();
  private flushing?: Promise<void>;

  get size(): number {
    return this.versionKeys.size;
  }

  has(versionKey: string): boolean {
    return this.versionKeys.has(versionKey);
  }

  add(versionKey: string): void {
    this.versionKeys.add(versionKey);
  }

  delete(versionKey: string): void {
    this.versionKeys.delete(versionKey);
  }

  /**
   * Applies every pending invalidation with `apply` (one flush at a time; concurrent callers share
   * it). Rejects with the first failure; what was applied is forgotten, the rest stays pending.
   */
  flush(apply: (versionKey: string) => Promise<void>): Promise<void> {
    this.flushing ??= (async () => {
      try {
        for (const versionKey of [...this.versionKeys]) {
          await apply(versionKey);
          this.versionKeys.delete(versionKey);
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }
}
