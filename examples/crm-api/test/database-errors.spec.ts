import { Logger, type ArgumentsHost } from '@nestjs/common';
import type { ContextService } from '@acme/nest-context';
import { createTestDatabase, freePort, type TestDatabase } from '@acme/nest-testing';
import { ErrorBody } from '@acme-examples/crm-contracts';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiExceptionFilter, RETRY_AFTER_SECONDS } from '../src/common/api-exception.filter';
import { classifyDatabaseError } from '../src/common/database-errors';
import { users } from '../src/database/schema';
import { migrateDatabase } from '../src/database/migrate-database';
import { TEST_PASSWORDS } from './support/test-app';

/** What the filter answers for `error`: status, Retry-After and the body, as the client sees them. */
function answerTo(error: unknown): { status: number; retryAfter: string | undefined; body: ErrorBody } {
  const headers = new Map<string, string>();
  let status = 0;
  let body: unknown;
  const response = {
    headersSent: false,
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    status: (code: number) => ((status = code), { json: (value: unknown) => (body = value) }),
  };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({ method: 'GET', url: '/' }) }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter({ get: () => undefined } as unknown as ContextService).catch(error, host);
  return { status, retryAfter: headers.get('retry-after'), body: ErrorBody.parse(body) };
}

/** The error `run` rejects with. */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

// The errors come from a real PostgreSQL through node-postgres and Drizzle 0.45 (which wraps each
// driver error in a DrizzleQueryError): the mapping is checked against what really arrives.
describe('database errors', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: ReturnType<typeof drizzle>;

  beforeAll(async () => {
    // The filter logs every 5xx it answers; these are on purpose.
    Logger.overrideLogger(false);
    database = await createTestDatabase({ prefix: 'crmerrors' });
    await migrateDatabase({ ownerUrl: database.url, passwords: TEST_PASSWORDS });
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
    db = drizzle(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const user = (email: string) => ({ email, name: 'Ada', passwordHash: 'x' });

  it('Drizzle wraps the driver error: the SQLSTATE is on its cause, not on the error', async () => {
    await db.insert(users).values(user('taken@errors.test'));
    const error = (await errorOf(() => db.insert(users).values(user('TAKEN@errors.test')))) as Error & { code?: unknown; cause?: { code?: unknown } };
    expect(error.constructor.name).toBe('DrizzleQueryError');
    expect([error.code, error.cause?.code]).toEqual([undefined, '23505']);
  });

  it('a unique violation, wrapped or not, is 409 with the code of its constraint (EMAIL_TAKEN, else CONFLICT)', async () => {
    const wrapped = await errorOf(() => db.insert(users).values(user('taken@errors.test')));
    expect(classifyDatabaseError(wrapped)).toEqual({ kind: 'Unique Violation', constraint: 'users_email_key' });
    expect(answerTo(wrapped)).toMatchObject({ status: 409, body: { code: 'EMAIL_TAKEN' } });
    const bare = await errorOf(() => pool.query(`INSERT INTO users (email, name, password_hash) VALUES ('taken@errors.test', 'A', 'x')`));
    expect(answerTo(bare)).toMatchObject({ status: 409, body: { code: 'EMAIL_TAKEN' } });
    const slug = await errorOf(() => pool.query(`INSERT INTO workspaces (name, slug) VALUES ('A', 'same'), ('B', 'same')`));
    expect(answerTo(slug)).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
  });

  it('a NUL in text is 400 INVALID_CHARACTERS; a literal PostgreSQL cannot read is 400 VALIDATION_FAILED', async () => {
    const nul = await errorOf(() => db.insert(users).values(user('a\u0000b@errors.test')));
    expect(answerTo(nul)).toMatchObject({ status: 400, body: { code: 'INVALID_CHARACTERS' } });
    const uuid = await errorOf(() => db.execute(sql`SELECT ${'not-a-uuid'}::uuid`));
    expect(answerTo(uuid)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('PostgreSQL refusing connections is 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const closed = new pg.Pool({ connectionString: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/postgres`, max: 1 });
    try {
      const error = await errorOf(() => drizzle(closed).execute(sql`SELECT 1`));
      expect(classifyDatabaseError(error)).toMatchObject({ kind: 'Unavailable', reason: 'ECONNREFUSED' });
      expect(answerTo(error)).toMatchObject({ status: 503, retryAfter: String(RETRY_AFTER_SECONDS), body: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      await closed.end();
    }
  });

  it('a connection the server terminates mid-query (57P01), then the dead client, are 503', async () => {
    const client = new pg.Client({ connectionString: database.url });
    client.on('error', () => undefined);
    await client.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const sleeping = errorOf(() => drizzle(client).execute(sql`SELECT pg_sleep(30)`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const terminated = await sleeping;
    expect(classifyDatabaseError(terminated)).toEqual({ kind: 'Unavailable', reason: 'SQLSTATE 57P01' });
    expect(answerTo(terminated)).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
    const after = await errorOf(() => client.query('SELECT 1'));
    expect(classifyDatabaseError(after)).toMatchObject({ kind: 'Unavailable' });
    await client.end().catch(() => undefined);
  });

  it('the other pg-pool and node-postgres connection failures are 503 too; anything else stays a 500', () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ]) {
      expect(answerTo(new Error(message)).status, message).toBe(503);
    }
    expect(answerTo(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })])).status).toBe(503);
    expect(answerTo(Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))).toMatchObject({
      status: 500,
      retryAfter: undefined,
      body: { code: 'INTERNAL_ERROR' },
    });
    expect(answerTo(new TypeError('x is undefined')).status).toBe(500);
  });
});
