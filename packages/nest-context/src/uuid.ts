import { v7, validate } from 'uuid';

/**
 * A UUIDv7 (RFC 9562): ids sort by creation time, monotonic within the process, which keeps
 * B-tree inserts on the right edge of the index (audit ids, request ids).
 */
export function uuidv7(): string {
  return v7();
}

/** Whether `value` is a UUID string (any version, any case): the one check the suite uses for ids. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && validate(value);
}
