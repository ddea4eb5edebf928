import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry } from './audit-entry';
import { auditBatchJob, batchSize, type AuditBatchJob } from './audit-batch';
import { reviveEntries } from './audit-writer';

/** A spool file of this process: the batches in it that the table does not have yet keep it alive. */
export interface SpoolSegment {
  readonly path: string;
  /** Batches in this file still waiting to be seen in the table. */
  open: number;
  sealed: boolean;
  readonly openedAt: number;
  readonly handle: FileHandle;
}

export interface AuditSpoolOptions {
  /** A new file is started after this long (the old one is removed once all its batches are stored). */
  rotateAfterMs: number;
  /** A file nobody touched for this long belongs to a process that is gone: another may recover it. */
  orphanAfterMs: number;
}

const CLAIM = '.recovering-';

/**
 * The local write-ahead spool: every batch is appended here before it travels, and its file
 * is removed once every batch in it is in the table. So a batch survives what its travel may
 * not: a Redis that restarts without it, a database that is down, this process being killed.
 *
 * A process keeps its own files fresh (their mtime is its heartbeat); files nobody touched for
 * `orphanAfterMs` were left by a process that died, and the next process with the same
 * directory recovers them. Files are claimed by renaming, so two processes never recover the
 * same one; writes are idempotent by entry id, so a batch recovered twice is stored once.
 */
export class AuditSpool {
  private readonly instance = randomUUID().slice(0, 8);
  private readonly live = new Set<SpoolSegment>();
  private current: SpoolSegment | undefined;
  private opening: Promise<SpoolSegment> | undefined;
  private sequence = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly options: AuditSpoolOptions,
  ) {}

  /** Appends the batch (one JSON line); returns its file, to `settle` once the table has the batch. */
  async append(job: AuditBatchJob): Promise<SpoolSegment> {
    let segment = await this.writable();
    while (segment.sealed) segment = await this.writable(); // rotated while we waited
    segment.open++;
    // One append at a time: a large line is written in several chunks, which must not interleave.
    const appended = this.tail.then(() => segment.handle.appendFile(`${JSON.stringify(job)}\n`, 'utf8'));
    this.tail = appended.catch(() => undefined);
    try {
      await appended;
    } catch (error) {
      this.settle(segment);
      throw error;
    }
    return segment;
  }

  /** The table has one batch of this file. */
  settle(segment: SpoolSegment): void {
    segment.open--;
    if (segment.sealed && segment.open === 0) void this.remove(segment);
  }

  /**
   * Starts a new file when the current one is old enough, and touches the files still in use
   * (the heartbeat that keeps other processes from recovering them).
   */
  async maintain(now = Date.now()): Promise<void> {
    const current = this.current;
    if (current && now - current.openedAt >= this.options.rotateAfterMs) this.seal(current);
    const at = new Date(now);
    await Promise.all([...this.live].map((segment) => utimes(segment.path, at, at).catch(() => undefined)));
  }

  /**
   * Hands every batch of files left by processes that are gone to `take`, which must make it
   * safe (store it, or spool it again); a file is removed once all its batches were taken. A
   * file with a batch `take` refused stays and is recovered again later. Returns how many
   * entries were taken.
   */
  async recoverOrphans(take: (job: AuditBatchJob) => Promise<void>, now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0; // nothing was ever spooled here
    }
    const mine = new Set([...this.live].map((segment) => segment.path));
    let taken = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      if (!isSpoolFile(name) || mine.has(path) || !(await isStale(path, now - this.options.orphanAfterMs))) continue;
      const claimed = `${path.split(CLAIM)[0]}${CLAIM}${this.instance}`;
      try {
        await rename(path, claimed);
      } catch {
        continue; // another process claimed it first
      }
      taken += await this.recoverFile(claimed, take);
    }
    return taken;
  }

  /** Closes the current file. Files with batches the table does not have stay for the next process. */
  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    if (this.current) this.seal(this.current);
    await Promise.all([...this.live].map((segment) => segment.handle.close().catch(() => undefined)));
  }

  private async recoverFile(path: string, take: (job: AuditBatchJob) => Promise<void>): Promise<number> {
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    let taken = 0;
    for (const line of lines) {
      const job = parseLine(line);
      if (!job) continue; // a line cut short by a crash mid-append: its batch never left either
      await take(job); // throws: the file stays, claimed; it is stale again soon and retried
      taken += batchSize(job);
    }
    await unlink(path);
    return taken;
  }

  private async writable(): Promise<SpoolSegment> {
    if (this.current) return this.current;
    this.opening ??= this.openSegment().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openSegment(): Promise<SpoolSegment> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `audit-${this.instance}-${++this.sequence}.jsonl`);
    const segment: SpoolSegment = { path, open: 0, sealed: false, openedAt: Date.now(), handle: await open(path, 'a') };
    this.live.add(segment);
    this.current = segment;
    return segment;
  }

  private seal(segment: SpoolSegment): void {
    segment.sealed = true;
    if (this.current === segment) this.current = undefined;
    if (segment.open === 0) void this.remove(segment);
  }

  private async remove(segment: SpoolSegment): Promise<void> {
    this.live.delete(segment);
    await segment.handle.close().catch(() => undefined);
    await unlink(segment.path).catch(() => undefined); // already recovered by another process
  }
}

/** Spool files of any version: `*.jsonl`, and files being recovered (`.recovering-*`, `.replaying-*`). */
function isSpoolFile(name: string): boolean {
  return name.endsWith('.jsonl') || name.includes(CLAIM) || /\.jsonl\.replaying-\d+$/.test(name);
}

async function isStale(path: string, before: number): Promise<boolean> {
  try {
    return (await stat(path)).mtimeMs < before;
  } catch {
    return false;
  }
}

/** A spooled batch: a batch job, or an array of entries (spool files of earlier versions). */
function parseLine(line: string): AuditBatchJob | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return value.length ? auditBatchJob(reviveEntries(value as AuditEntry[])) : undefined;
  const job = value as Partial<AuditBatchJob>;
  return job.v === 1 && Array.isArray(job.columns) ? (job as AuditBatchJob) : undefined;
}
