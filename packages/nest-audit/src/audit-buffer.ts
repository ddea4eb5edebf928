import type { AuditEntry } from './audit-entry';

/**
 * Batches entries in the process before they travel: a batch leaves when it has `maxSize`
 * entries or its first entry has waited `maxWaitMs`, so a burst becomes a few large batches
 * and a lone entry still leaves within milliseconds.
 */
export class AuditBuffer {
  private entries: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly send: (batch: AuditEntry[]) => Promise<void>,
    private readonly maxSize: number,
    private readonly maxWaitMs: number,
  ) {}

  push(entry: AuditEntry): void {
    this.entries.push(entry);
    if (this.entries.length >= this.maxSize) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.maxWaitMs).unref();
  }

  /** Sends what is buffered now. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.entries.length === 0) return Promise.resolve();
    const batch = this.entries;
    this.entries = [];
    const sending = this.send(batch).finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
    return sending;
  }

  /** Sends what is buffered and waits for every batch still travelling (shutdown). */
  async drain(): Promise<void> {
    await this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  get pending(): number {
    return this.entries.length;
  }
}
