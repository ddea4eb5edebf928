import { randomFillSync } from 'node:crypto';

// Monotonic within the process (RFC 9562, 6.2 method 1): ids made in the same millisecond
// carry a 12-bit counter after the timestamp, so they still sort in creation order.
let lastMillis = -1;
let counter = 0;

// Random bytes are drawn in bulk (one system call per 256 ids): ids are made on hot paths
// (every request, every audit entry), where a 16-byte draw per id costs more than the rest.
const POOL_IDS = 256;
const pool = Buffer.allocUnsafe(16 * POOL_IDS);
let poolOffset = pool.length;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond timestamp, a 12-bit counter, then random bits. Ids
 * sort by creation time, which keeps B-tree inserts on the right edge of the index (audit ids,
 * request ids) and gives a stable order to rows written in the same millisecond.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 16;
  if (now > lastMillis || now < lastMillis - 10_000) {
    // A new millisecond, or a clock that stepped back far (ordering across that is not kept).
    lastMillis = now;
    counter = ((pool[r + 6]! << 8) | pool[r + 7]!) & 0x07ff; // random start, leaving headroom to count up
  } else if (++counter > 0x0fff) {
    lastMillis++; // counter exhausted (4,096 ids in one ms): borrow the next millisecond
    counter = 0;
  }
  const high = Math.floor(lastMillis / 0x100000000); // top 16 bits of the 48-bit timestamp
  const low = lastMillis >>> 0;
  return (
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[low >>> 24]! +
    HEX[(low >>> 16) & 0xff]! +
    '-' +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! + // version 7 + counter high bits
    HEX[counter & 0xff]! +
    '-' +
    HEX[(pool[r + 8]! & 0x3f) | 0x80]! + // variant 10
    HEX[pool[r + 9]!]! +
    '-' +
    HEX[pool[r + 10]!]! +
    HEX[pool[r + 11]!]! +
    HEX[pool[r + 12]!]! +
    HEX[pool[r + 13]!]! +
    HEX[pool[r + 14]!]! +
    HEX[pool[r + 15]!]!
  );
}
