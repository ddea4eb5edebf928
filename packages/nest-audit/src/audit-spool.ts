import { appendFile, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry } from './audit-entry';
import { reviveEntries } from './audit-writer';

/**
 * The last resort when neither the queue nor the database takes a batch: batches are appended
 * to a local file (one JSON line each) and replayed later, by this process or the next one to
 * start with the same directory. Replays are idempotent (entry ids), so a batch replayed twice
 * is written once.
 */
export class AuditSpool {
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = join(dir, `audit-${process.pid}-${Date.now()}.jsonl`);
  }

  async append(batch: readonly AuditEntry[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.file, `${JSON.stringify(batch)}\n`, 'utf8');
  }

  /**
   * Hands every spooled batch to `deliver`; a file is removed once all its batches went
   * through. A file is renamed before it is read, so two processes never replay the same one.
   */
  async replay(deliver: (batch: AuditEntry[]) => Promise<void>): Promise<number> {
    let names: string[];
    try {
      // Spooled files, and files a crashed process was replaying (its pid is gone).
      names = (await readdir(this.dir)).filter((name) => name.endsWith('.jsonl') || isOrphanedClaim(name));
    } catch {
      return 0; // no spool directory: nothing was ever spooled
    }
    let replayed = 0;
    for (const name of names) {
      const claimed = join(this.dir, `${name.replace(/\.replaying-\d+$/, '')}.replaying-${process.pid}`);
      try {
        await rename(join(this.dir, name), claimed);
      } catch {
        continue; // another process claimed it
      }
      const lines = (await readFile(claimed, 'utf8')).split('\n').filter(Boolean);
      const failed: string[] = [];
      for (const line of lines) {
        try {
          const batch = reviveEntries(JSON.parse(line) as AuditEntry[]);
          await deliver(batch);
          replayed += batch.length;
        } catch {
          failed.push(line);
        }
      }
      if (failed.length) await appendFile(this.file, `${failed.join('\n')}\n`, 'utf8');
      await unlink(claimed);
    }
    return replayed;
  }
}

function isOrphanedClaim(name: string): boolean {
  const pid = Number(/\.replaying-(\d+)$/.exec(name)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
