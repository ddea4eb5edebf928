import { randomBytes } from 'node:crypto';

// Monotonic within the process (RFC 9562, 6.2 method 1): ids made in the same millisecond
// carry a 12-bit counter after the timestamp, so they still sort in creation order.
let lastMillis = -1;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond timestamp, a 12-bit counter, then random bits. Ids
 * sort by creation time, which keeps B-tree inserts on the right edge of the index (audit ids,
 * request ids) and gives a stable order to rows written in the same millisecond.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  if (now > lastMillis || now < lastMillis - 10_000) {
    // A new millisecond, or a clock that stepped back far (ordering across that is not kept).
    lastMillis = now;
    counter = bytes.readUInt16BE(6) & 0x07ff; // random start, leaving headroom to count up
  } else if (++counter > 0x0fff) {
    lastMillis++; // counter exhausted (4,096 ids in one ms): borrow the next millisecond
    counter = 0;
  }
  const millis = BigInt(lastMillis);
  for (let i = 0; i < 6; i++) {
    bytes[i] = Number((millis >> BigInt(8 * (5 - i))) & 0xffn);
  }
  bytes[6] = 0x70 | (counter >> 8); // version 7 + counter high bits
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
