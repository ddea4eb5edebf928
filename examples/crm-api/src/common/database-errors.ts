/**
 * What a database error means for the client, whoever raised it: node-postgres directly, pg-pool,
 * or Drizzle 0.45, which wraps every driver error in a `DrizzleQueryError` whose `cause` is the
 * driver's. The filter turns these into contract codes, so none of them is a 500.
 */
export type DatabaseFailure =
  /** 23505: the write collides with a unique constraint or index (named when PostgreSQL says which). */
  | { kind: 'Unique Violation'; constraint: string | null }
  /** A literal PostgreSQL cannot read (bad uuid, date or number, a string too long for its column). */
  | { kind: 'Invalid Value' }
  /** A character the database encoding refuses (the NUL character in a text value). */
  | { kind: 'Invalid Characters' }
  /** The server cannot be reached or is going away: refused, reset, shut down, starting up, full. */
  | { kind: 'Unavailable'; reason: string };

const INVALID_VALUE = new Set(['22P02', '22007', '22008', '22003', '22001']);
const INVALID_CHARACTERS = new Set(['22021', '22P05']);
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections;
// class 08 is every connection exception.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres and pg-pool raise these as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** How deep causes are followed (they may form a cycle). */
const MAX_DEPTH = 6;

/** The first database failure found in the error or its causes (`cause`, `AggregateError.errors`); undefined for anything else. */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  return find(error, 0);
}

function find(error: unknown, depth: number): DatabaseFailure | undefined {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return undefined;
  const found = classifyOne(error as { code?: unknown; constraint?: unknown; message?: unknown });
  if (found) return found;
  for (const inner of [(error as { cause?: unknown }).cause, ...(error instanceof AggregateError ? error.errors : [])]) {
    const nested = find(inner, depth + 1);
    if (nested) return nested;
  }
  return undefined;
}

function classifyOne(error: { code?: unknown; constraint?: unknown; message?: unknown }): DatabaseFailure | undefined {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined && SQLSTATE.test(code)) {
    if (code === '23505') return { kind: 'Unique Violation', constraint: typeof error.constraint === 'string' ? error.constraint : null };
    if (INVALID_VALUE.has(code)) return { kind: 'Invalid Value' };
    if (INVALID_CHARACTERS.has(code)) return { kind: 'Invalid Characters' };
    if (UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return { kind: 'Unavailable', reason: `SQLSTATE ${code}` };
    return undefined;
  }
  if (code !== undefined && UNAVAILABLE_ERRNOS.has(code)) return { kind: 'Unavailable', reason: code };
  const message = typeof error.message === 'string' ? error.message : '';
  if (code === undefined && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return { kind: 'Unavailable', reason: message };
  return undefined;
}
