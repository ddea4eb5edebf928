import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { AuditSinkError, type AuditSink, type AuditSinkBatch } from './audit-sink';

/** Where {@link FileAuditSink} writes: anything that stores a text under a key (a directory, an S3 bucket...). */
export interface AuditObjectStore {
  /** Stores `body` under `key`, replacing what was there; resolves once it is stored. */
  put(key: string, body: string): Promise<void>;
}

/** Options of {@link FileAuditSink}. */
export interface FileAuditSinkOptions {
  /** @default 'file' */
  name?: string;
  store: AuditObjectStore;
}

/**
 * Writes each batch as one NDJSON object (one entry per line) under
 * `<workspaceId>/<firstSeq>-<lastSeq>.ndjson` (seqs zero-padded to 20 digits, so keys sort in
 * chain order). A retried batch has the same key: storing it again replaces it.
 */
export class FileAuditSink implements AuditSink {
  readonly name: string;

  constructor(private readonly options: FileAuditSinkOptions) {
    if (typeof options?.store?.put !== 'function') throw new AuditSinkError('FileAuditSink "store" must have put(key, body), e.g. directoryObjectStore(dir).');
    this.name = options.name ?? 'file';
  }

  async send(batch: AuditSinkBatch): Promise<void> {
    const key = `${batch.workspaceId}/${pad(batch.firstSeq)}-${pad(batch.lastSeq)}.ndjson`;
    await this.options.store.put(key, batch.entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  }
}

const pad = (seq: number) => String(seq).padStart(20, '0');

/**
 * An {@link AuditObjectStore} over a local directory: each key is a file path under `dir`,
 * written to a temporary file and renamed, so a reader never sees half a batch.
 */
export function directoryObjectStore(dir: string): AuditObjectStore {
  const root = resolve(dir);
  return {
    async put(key, body) {
      const path = resolve(root, key);
      if (!path.startsWith(root + sep)) throw new AuditSinkError(`Object key ${JSON.stringify(key)} leaves the store's directory.`);
      await mkdir(dirname(path), { recursive: true });
      const temporary = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
      await writeFile(temporary, body, 'utf8');
      await rename(temporary, path);
    },
  };
}
