import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { AuditError } from '../audit.errors';

/**
 * A signed head of one workspace's hash chain: "entry `seq` of this workspace's chain had hash
 * `hash` at `createdAt`". Published off the database (a bucket, another database, a SIEM), it
 * proves the chain up to `seq` whatever later happens to the audit table.
 */
export interface AuditCheckpoint {
  /** The chain's workspace; entries without one chain under the nil UUID. */
  workspaceId: string;
  /** Position of the head entry in the chain (from 1). */
  seq: number;
  /** `chain_hash` of that entry, hex. */
  hash: string;
  /** When the checkpoint was made, ISO 8601 (milliseconds, UTC). */
  createdAt: string;
  /** Which key signed it (see {@link checkpointKeyId}). */
  keyId: string;
  /** Ed25519 signature, base64, of the UTF-8 bytes `acme-audit-checkpoint/1\n<workspaceId>\n<seq>\n<hash>\n<createdAt>`. */
  signature: string;
}

/** What a checkpoint signs: everything of {@link AuditCheckpoint} except the key id and the signature. */
export type AuditCheckpointFields = Pick<AuditCheckpoint, 'workspaceId' | 'seq' | 'hash' | 'createdAt'>;

/** Stable codes of {@link AuditCheckpointError}. */
export type AuditCheckpointErrorCode =
  /** `integrity.checkpoints.signingKey` (or a public key given to verify) is not an Ed25519 key. */
  'AUDIT_INVALID_SIGNING_KEY';

/** A signing or public key that cannot sign or verify checkpoints; `code` is stable. */
export class AuditCheckpointError extends AuditError {
  constructor(
    readonly code: AuditCheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The version tag that starts the signed bytes. */
export const CHECKPOINT_SIGNATURE_VERSION = 'acme-audit-checkpoint/1';

/** The bytes a checkpoint's signature covers: `acme-audit-checkpoint/1\n<workspaceId>\n<seq>\n<hash>\n<createdAt>` (UTF-8). */
export function checkpointSignedBytes(checkpoint: AuditCheckpointFields): Buffer {
  return Buffer.from(`${CHECKPOINT_SIGNATURE_VERSION}\n${checkpoint.workspaceId}\n${checkpoint.seq}\n${checkpoint.hash}\n${checkpoint.createdAt}`, 'utf8');
}

/**
 * An Ed25519 private key from a `KeyObject` or a PEM (PKCS#8) string.
 * @throws AuditCheckpointError `AUDIT_INVALID_SIGNING_KEY`
 */
export function parseSigningKey(key: unknown, option = 'integrity.checkpoints.signingKey'): KeyObject {
  if (typeof key !== 'string' && !isKeyObject(key)) throw invalid(option, 'a PEM (PKCS#8) string or a KeyObject');
  let parsed: KeyObject;
  try {
    parsed = isKeyObject(key) ? key : createPrivateKey({ key, format: 'pem' });
  } catch {
    throw invalid(option, 'a PEM (PKCS#8) string or a KeyObject');
  }
  if (parsed.type !== 'private' || parsed.asymmetricKeyType !== 'ed25519') throw invalid(option, 'an Ed25519 private key');
  return parsed;
}

/**
 * An Ed25519 public key from a `KeyObject` (public or private) or a PEM string (SPKI, or a
 * private key whose public half is taken).
 * @throws AuditCheckpointError `AUDIT_INVALID_SIGNING_KEY`
 */
export function parsePublicKey(key: unknown, option = 'publicKeys'): KeyObject {
  let parsed: KeyObject;
  try {
    if (!isKeyObject(key) && typeof key !== 'string') throw new TypeError();
    parsed = isKeyObject(key) && key.type === 'public' ? key : createPublicKey(key as KeyObject | string);
  } catch {
    throw invalid(option, 'a PEM string or a KeyObject');
  }
  if (parsed.asymmetricKeyType !== 'ed25519') throw invalid(option, 'an Ed25519 public key');
  return parsed;
}

/** The default key id of a key: the first 16 hex characters of sha256 of its public key (SPKI DER). */
export function checkpointKeyId(key: KeyObject | string): string {
  const der = parsePublicKey(key, 'key').export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Signs one checkpoint with an Ed25519 private key (a KeyObject or PEM). */
export function signCheckpoint(fields: AuditCheckpointFields, privateKey: KeyObject | string, keyId?: string): AuditCheckpoint {
  const key = parseSigningKey(privateKey, 'privateKey');
  const signature = sign(null, checkpointSignedBytes(fields), key).toString('base64');
  const { workspaceId, seq, hash, createdAt } = fields;
  return { workspaceId, seq, hash, createdAt, keyId: keyId ?? checkpointKeyId(key), signature };
}

/**
 * Whether `checkpoint.signature` is a valid Ed25519 signature of its fields by `publicKey`
 * (false for a malformed signature, never a throw on checkpoint input).
 * @throws AuditCheckpointError `AUDIT_INVALID_SIGNING_KEY` when `publicKey` is not an Ed25519 key
 */
export function verifyCheckpointSignature(checkpoint: AuditCheckpoint, publicKey: KeyObject | string): boolean {
  const key = parsePublicKey(publicKey);
  if (typeof checkpoint?.signature !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(checkpoint.signature)) return false;
  const signature = Buffer.from(checkpoint.signature, 'base64');
  if (signature.length !== 64) return false;
  try {
    return verify(null, checkpointSignedBytes(checkpoint), key, signature);
  } catch {
    return false;
  }
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}

function invalid(option: string, expected: string): AuditCheckpointError {
  return new AuditCheckpointError(
    'AUDIT_INVALID_SIGNING_KEY',
    `"${option}" must be ${expected}. Generate one with: openssl genpkey -algorithm ed25519 (or crypto.generateKeyPairSync('ed25519')).`,
  );
}
