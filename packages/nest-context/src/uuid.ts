import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Random bytes for ids, drawn from the system 256 ids at a time. uuid's own source asks the kernel
 * for 16 bytes per id (one getrandom call each), which cost a request more than everything else
 * about its request id and its audit entry's id. Node's `randomUUID` pools its entropy the same way.
 */
const POOL = new Uint8Array(16 * 256);
let taken = POOL.length;

function random16(): Uint8Array {
  if (taken === POOL.length) {
    randomFillSync(POOL);
    taken = 0;
  }
  return POOL.subarray(taken, (taken += 16));
}

/** The time and counter of the last id: ids of one millisecond count up (uuid's own v7 state, kept here). */
const last = { msecs: -Infinity, seq: 0 };

/**
 * A UUIDv7 (RFC 9562): ids sort by creation time, monotonic within the process, which keeps
 * B-tree inserts on the right edge of the index (audit ids, request ids).
 */
export function uuidv7(): string {
  const random = random16();
  const now = Date.now();
  if (now > last.msecs) {
    last.msecs = now;
    // A random start in 31 bits, as uuid does: the counter has room to count up within the millisecond.
    last.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs++;
  }
  return v7({ random, msecs: last.msecs, seq: last.seq });
}

// The canonical text form PostgreSQL's uuid type reads back: 8-4-4-4-12 hex digits, any case.
// Not uuid's `validate`, which also demands an RFC version and variant: ids made elsewhere (fixed
// test ids, other generators) are valid uuid column values and must not be refused.
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID string (8-4-4-4-12 hex, any version, any case): the one check the suite uses for ids. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_TEXT.test(value);
}
