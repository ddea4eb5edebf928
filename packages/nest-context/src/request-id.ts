import { uuidv7 } from './uuid';

// Incoming ids land in every log line and audit entry: accept only short, printable tokens
// so a client cannot inject newlines, JSON or megabytes through a header.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a well-formed incoming request id (first value if repeated), else makes a UUIDv7. */
export function requestIdFrom(header: string | string[] | undefined, generate: () => string = uuidv7): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && SAFE_REQUEST_ID.test(candidate) ? candidate : generate();
}
