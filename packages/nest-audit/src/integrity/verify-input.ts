import { isUuid } from '@acme/nest-context';
import { KeyObject } from 'node:crypto';
import { parsePublicKey, type AuditCheckpoint } from './checkpoint';
import type { AuditVerifyOptions } from './verify-result';
import { AuditVerifyError } from './verify.errors';

/** `AuditVerifyOptions`, checked and converted. */
export interface VerifyInput {
  workspaceId: string | null;
  from: string | undefined;
  to: string | undefined;
  checkpoints: AuditCheckpoint[];
  /** Undefined: none given (the caller's defaults apply). */
  publicKeys: Map<string, string> | undefined;
}

const HEX_HASH = /^[0-9a-f]{64}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Validates the options of a verification before any SQL runs.
 * @throws AuditVerifyError `AUDIT_VERIFY_INVALID`
 */
export function validateVerifyOptions(options: unknown): VerifyInput {
  if (typeof options !== 'object' || options === null) throw invalid('verify needs { workspaceId } at least.');
  const given = options as AuditVerifyOptions;
  if (given.workspaceId !== null && !isUuid(given.workspaceId)) {
    throw invalid(`verify option "workspaceId" must be a workspace UUID (or null for entries without a workspace), got ${shown(given.workspaceId)}.`);
  }
  const from = instant('from', given.from);
  const to = instant('to', given.to);
  if (from !== undefined && to !== undefined && from >= to) throw invalid(`verify option "from" (${from}) must be before "to" (${to}).`);
  if (given.checkpoints !== undefined && !Array.isArray(given.checkpoints)) {
    throw invalid('verify option "checkpoints" must be a list of the checkpoints `publish` received.');
  }
  const checkpoints = (given.checkpoints ?? []).map(checkpoint);
  return { workspaceId: given.workspaceId, from, to, checkpoints, publicKeys: publicKeys(given.publicKeys) };
}

/** One published checkpoint, shape-checked (its signature is checked while verifying). */
export function checkpoint(value: unknown, index: number): AuditCheckpoint {
  const at = `verify option "checkpoints[${index}]"`;
  if (typeof value !== 'object' || value === null) throw invalid(`${at} must be a checkpoint object, got ${shown(value)}.`);
  const c = value as Record<string, unknown>;
  if (typeof c.workspaceId !== 'string' || !isUuid(c.workspaceId)) throw invalid(`${at}.workspaceId must be a UUID, got ${shown(c.workspaceId)}.`);
  if (typeof c.seq !== 'number' || !Number.isSafeInteger(c.seq) || c.seq < 1) throw invalid(`${at}.seq must be a positive integer, got ${shown(c.seq)}.`);
  if (typeof c.hash !== 'string' || !HEX_HASH.test(c.hash)) throw invalid(`${at}.hash must be 64 hex digits (a SHA-256), got ${shown(c.hash)}.`);
  if (typeof c.createdAt !== 'string' || Number.isNaN(Date.parse(c.createdAt))) {
    throw invalid(`${at}.createdAt must be an ISO 8601 timestamp, got ${shown(c.createdAt)}.`);
  }
  if (typeof c.keyId !== 'string' || c.keyId === '' || c.keyId.length > 200) throw invalid(`${at}.keyId must be a non-empty string, got ${shown(c.keyId)}.`);
  if (typeof c.signature !== 'string' || c.signature.length > 1_000 || !BASE64.test(c.signature)) {
    throw invalid(`${at}.signature must be base64, got ${shown(c.signature)}.`);
  }
  return { workspaceId: c.workspaceId, seq: c.seq, hash: c.hash.toLowerCase(), createdAt: c.createdAt, keyId: c.keyId, signature: c.signature };
}

/**
 * keyId -> the Ed25519 public key as SPKI PEM; a private key (PEM or KeyObject) gives its public half.
 * @throws AuditCheckpointError `AUDIT_INVALID_SIGNING_KEY` for a key that is not Ed25519
 */
export function publicKeys(keys: unknown): Map<string, string> | undefined {
  if (keys === undefined) return undefined;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw invalid('verify option "publicKeys" must map key ids to Ed25519 public keys: { [keyId]: KeyObject | PEM string }.');
  }
  const map = new Map<string, string>();
  for (const [keyId, key] of Object.entries(keys)) map.set(keyId, publicKeyPem(key, `publicKeys.${keyId}`));
  return map;
}

/** An Ed25519 key (public or private, KeyObject or PEM) as its public SPKI PEM. */
export function publicKeyPem(key: unknown, option: string): string {
  const object = key instanceof KeyObject && key.type === 'public' ? key : parsePublicKey(key, option);
  if (object.asymmetricKeyType !== 'ed25519') parsePublicKey(object.export({ type: 'spki', format: 'pem' }), option); // throws, naming the option
  return object.export({ type: 'spki', format: 'pem' }) as string;
}

function instant(option: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : typeof value === 'string' && value.length <= 100 ? new Date(value) : undefined;
  const year = date?.getUTCFullYear() ?? Number.NaN;
  if (!date || Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw invalid(`verify option "${option}" must be a Date or an ISO 8601 string within years 1 to 9999, got ${shown(value)}.`);
  }
  return date.toISOString();
}

function invalid(message: string): AuditVerifyError {
  return new AuditVerifyError('AUDIT_VERIFY_INVALID', message);
}

function shown(value: unknown): string {
  if (typeof value === 'string' && value.length > 100) return `a string of ${value.length} characters`;
  let text: string;
  try {
    text = value instanceof Date ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = typeof value;
  }
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
