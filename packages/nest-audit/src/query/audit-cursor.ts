import { isUuid } from '@acme/nest-context';
import { AuditQueryError } from './audit-query.errors';

/** A position in the keyset order (occurred_at DESC, id DESC): the last row of a page. */
export interface AuditCursorPosition {
  /** The row's occurred_at in UTC with microseconds ('2026-11-24T18:26:00.123456Z'): a JS Date keeps only milliseconds. */
  occurredAt: string;
  id: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Encodes a position as an opaque base64url token. */
export function encodeAuditCursor(position: AuditCursorPosition): string {
  return Buffer.from(JSON.stringify([position.occurredAt, position.id]), 'utf8').toString('base64url');
}

/** Decodes a token from {@link encodeAuditCursor}; anything else is `AUDIT_INVALID_CURSOR`. */
export function decodeAuditCursor(cursor: string): AuditCursorPosition {
  let decoded: unknown;
  try {
    const wellFormed = typeof cursor === 'string' && cursor.length <= 200 && BASE64URL.test(cursor);
    decoded = wellFormed ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    decoded = undefined;
  }
  if (Array.isArray(decoded) && decoded.length === 2) {
    const [occurredAt, id] = decoded as unknown[];
    if (typeof occurredAt === 'string' && TIMESTAMP.test(occurredAt) && isRealInstant(occurredAt) && isUuid(id)) {
      return { occurredAt, id };
    }
  }
  throw new AuditQueryError(
    'AUDIT_INVALID_CURSOR',
    'The audit cursor is invalid: pass back the nextCursor of the previous page unchanged, or omit it for the first page.',
  );
}

/**
 * A timestamp PostgreSQL reads as written: JS rolls '2026-02-30' over to March 2 and takes year
 * 0 and hour 24, which PostgreSQL refuses (or reads differently), so only canonical ones pass.
 */
function isRealInstant(occurredAt: string): boolean {
  const date = new Date(occurredAt);
  return !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.toISOString().slice(0, 19) === occurredAt.slice(0, 19);
}
