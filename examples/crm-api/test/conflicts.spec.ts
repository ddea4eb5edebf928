import { ErrorBody } from '@acme-examples/crm-contracts';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/test-app';

// Requests that race for the same unique value: one wins, the others get the contract's 409,
// never a 500 (Drizzle wraps the unique violation; the filter reads through the wrapper).
describe('conflicts', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => app?.close());

  const accountsWith = async (email: string) => {
    const client = new pg.Client({ connectionString: app.ownerUrl });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email])).rows[0]!.n;
    } finally {
      await client.end();
    }
  };

  it.each([1, 2, 3])('10 parallel registrations of one new email: one 201, nine 409 EMAIL_TAKEN, one account (round %i)', async (round) => {
    const email = `race-${round}-${Date.now()}@conflicts.test`;
    const body = { email, password: 'amber-lantern-river-2026', name: 'Racing Person', workspace_name: 'Race Workspace' };
    // Mixed case too: the unique index is on lower(email).
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(app.server)
          .post('/auth/register')
          .send({ ...body, email: i % 2 ? email.toUpperCase() : email }),
      ),
    );
    const answers = responses.map((response) => (response.status === 201 ? '201' : `${response.status} ${ErrorBody.parse(response.body).code}`)).sort();
    expect(answers).toEqual(['201', ...Array<string>(9).fill('409 EMAIL_TAKEN')]);
    expect(await accountsWith(email)).toBe(1);
  });
});
