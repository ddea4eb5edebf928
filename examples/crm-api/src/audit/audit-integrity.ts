import { appendFile } from 'node:fs/promises';
import { WebhookAuditSink, type AuditCheckpoint, type AuditIntegrityOptions } from '@acme/nest-audit';
import type { WorkerEnv } from '../config/env.schema';

type IntegrityEnv = Pick<WorkerEnv, 'AUDIT_CHAIN' | 'AUDIT_CHECKPOINT_KEY' | 'AUDIT_CHECKPOINT_FILE' | 'AUDIT_WEBHOOK_URL' | 'AUDIT_WEBHOOK_SECRET'>;

/**
 * The audit trail's tamper evidence and streams, the same in the API and the worker (whichever
 * process consumes the audit queue signs the checkpoints and feeds the webhook):
 *
 * - the hash chain per workspace (AUDIT_CHAIN, on by default);
 * - signed checkpoints of the chain heads (AUDIT_CHECKPOINT_KEY), appended to AUDIT_CHECKPOINT_FILE:
 *   a copy the database cannot reach, which `acme-audit verify --checkpoints` checks the table against;
 * - every entry, in chain order, POSTed to a SIEM (AUDIT_WEBHOOK_URL, signed with AUDIT_WEBHOOK_SECRET).
 *
 * Contacts' and users' emails, names and phones in `changes` are personal data (the package's
 * default `personal` list): `AuditService.erase` can remove them without breaking the chain.
 */
export function auditIntegrity(env: IntegrityEnv): AuditIntegrityOptions {
  if (!env.AUDIT_CHAIN) return { chain: false };
  const signingKey = env.AUDIT_CHECKPOINT_KEY.replaceAll('\\n', '\n');
  const file = env.AUDIT_CHECKPOINT_FILE;
  return {
    chain: true,
    ...(signingKey
      ? { checkpoints: { signingKey, ...(file ? { publish: (checkpoints: AuditCheckpoint[]) => appendCheckpoints(file, checkpoints) } : {}) } }
      : {}),
    ...(env.AUDIT_WEBHOOK_URL ? { sinks: [new WebhookAuditSink({ name: 'siem', url: env.AUDIT_WEBHOOK_URL, secret: env.AUDIT_WEBHOOK_SECRET })] } : {}),
  };
}

/** One JSON line per checkpoint, the format `acme-audit verify --checkpoints` reads. */
async function appendCheckpoints(file: string, checkpoints: AuditCheckpoint[]): Promise<void> {
  await appendFile(file, checkpoints.map((checkpoint) => `${JSON.stringify(checkpoint)}\n`).join(''));
}
