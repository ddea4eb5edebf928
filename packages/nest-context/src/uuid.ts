import { v7 } from 'uuid';

/**
 * A UUIDv7 (RFC 9562): ids sort by creation time, monotonic within the process, which keeps
 * B-tree inserts on the right edge of the index (audit ids, request ids).
 */
export function uuidv7(): string {
  return v7();
}

// The canonical text form PostgreSQL's uuid type reads back: 8-4-4-4-12 hex digits, any case.
// Not uuid's `validate`, which also demands an RFC version and variant: ids made elsewhere (fixed
// test ids, other generators) are valid uuid column values and must not be refused.
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID string (8-4-4-4-12 hex, any version, any case): the one check the suite uses for ids. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_TEXT.test(value);
}
