/**
 * A bounded cache with approximate least-recently-used eviction in O(1) and no per-hit
 * reordering (the hot path of every request): entries live in a young and an old generation;
 * a hit in the old one promotes the entry, and when the young generation is full it becomes
 * the old one and the previous old one is dropped. Holds at most `maxEntries`.
 */
export class AbilityCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly generationSize: number;

  constructor(maxEntries: number) {
    this.generationSize = Math.max(1, Math.floor(maxEntries / 2));
  }

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.set(key, aged);
    }
    return aged;
  }

  set(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  /** Deletes every entry whose key matches; returns how many. */
  deleteWhere(matches: (key: string) => boolean): number {
    let deleted = 0;
    for (const generation of [this.young, this.old]) {
      for (const key of [...generation.keys()]) {
        if (matches(key)) {
          generation.delete(key);
          deleted++;
        }
      }
    }
    return deleted;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
