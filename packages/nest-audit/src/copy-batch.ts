import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { withPooledClient, type SqlPool, type SqlQueryable } from './storage/sql-client';

/**
 * A batch (in column form) as the text COPY reads: a line per entry, tab-separated, `\N` for
 * null, backslash, tab, newline and carriage return escaped. Undefined when a value is neither
 * text, a number nor null (a `Date` of a year outside 1-9999 stays a `Date`, see instantText):
 * such a batch goes through the insert, whose driver knows how to send it.
 */
export function copyText(columns: readonly (readonly unknown[])[]): string | undefined {
  const rows = columns[0]?.length ?? 0;
  let text = '';
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns.length; column++) {
      const value = columns[column]![row];
      let field: string;
      if (value === null || value === undefined) field = '\\N';
      else if (typeof value === 'string') field = NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, escapeChar) : value;
      else if (typeof value === 'number' && Number.isFinite(value)) field = String(value);
      else return undefined;
      text += column === 0 ? field : `\t${field}`;
    }
    text += '\n';
  }
  return text;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeChar = (char: string) => ESCAPES[char]!;

/**
 * Whether batches go to `db` by COPY. Not on TimescaleDB: a retried batch may meet its rows in a
 * compressed chunk, and the insert's `ON CONFLICT DO NOTHING` is what is tested to skip them
 * there. Not on PGlite (PostgreSQL compiled to WebAssembly by Emscripten, which
 * @acme/nest-testing embeds for TimescaleDB and whose `version()` says "compiled by emcc
 * (Emscripten ...)"): it aborts on COPY FROM STDIN.
 */
export async function takesCopy(db: SqlQueryable): Promise<boolean> {
  const { rows } = await db.query("SELECT version() AS version, EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS timescale");
  return rows[0]?.timescale === false && !/emscripten/i.test(String(rows[0]?.version));
}

/**
 * Whether PostgreSQL answered the COPY with an error (node-postgres's DatabaseError: a severity
 * and a SQLSTATE), so that it wrote nothing. A connection lost on the way (a system error such
 * as ECONNRESET) is not one: the COPY may or may not have committed.
 */
export function refusedByServer(error: unknown): boolean {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * Writes `text` (see {@link copyText}) with `statement` (`COPY <table> (<columns>) FROM STDIN`)
 * on a connection of `pool`, as one statement outside any transaction: every row or none.
 * Resolves with the number of rows written, or undefined without sending anything when the
 * connection is not node-postgres's JavaScript client (pg-native has no COPY FROM STDIN);
 * rejects with PostgreSQL's error otherwise (a duplicate key among them, say), having written nothing.
 */
export function copyBatch(pool: SqlPool, statement: string, text: string): Promise<number | undefined> {
  return withPooledClient(pool, async (client) => {
    // pg-copy-streams writes the COPY's messages on the client's own connection stream.
    if (typeof (client as { connection?: { stream?: unknown } }).connection?.stream !== 'object') return undefined;
    const copy = (client as unknown as { query(stream: CopyStream): CopyStream }).query(copyFrom(statement));
    await pipeline(Readable.from([text]), copy);
    return copy.rowCount;
  });
}

type CopyStream = ReturnType<typeof copyFrom>;
