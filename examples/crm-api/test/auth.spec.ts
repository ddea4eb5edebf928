import { AuthSessionView, ErrorBody, MeView } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/database/seed-data';
import { startCrmFixture, type CrmFixture } from './support/fixture';

describe('auth', () => {
  let f: CrmFixture;
  beforeAll(async () => {
    f = await startCrmFixture();
  });
  afterAll(async () => f?.close());

  const login = (email: string, password = DEMO_PASSWORD, workspace_id?: string) =>
    request(f.server)
      .post('/auth/login')
      .send({ email, password, ...(workspace_id ? { workspace_id } : {}) });
  const refresh = (refresh_token: string) => request(f.server).post('/auth/refresh').send({ refresh_token });

  it('register creates a user, a workspace and an Admin session', async () => {
    const response = await request(f.server)
      .post('/auth/register')
      .send({ email: 'new@startup.test', password: 'a long enough password', name: 'New Founder', workspace_name: 'Startup' });
    expect(response.status).toBe(201);
    const session = AuthSessionView.parse(response.body);
    expect(session).toMatchObject({ role: 'Admin', workspace: { name: 'Startup' }, user: { initials: 'NF' } });
    const again = await request(f.server)
      .post('/auth/register')
      .send({ email: 'NEW@startup.test', password: 'a long enough password', name: 'X', workspace_name: 'Y' });
    expect([again.status, again.body.code]).toEqual([409, 'EMAIL_TAKEN']);
  });

  it('login checks the password (argon2id) and says nothing about which part was wrong', async () => {
    const wrong = await login('ada@northwind.test', 'wrong password');
    const unknown = await login('nobody@northwind.test');
    expect([wrong.status, wrong.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
    expect([unknown.status, unknown.body.code, unknown.body.message]).toEqual([401, 'INVALID_CREDENTIALS', wrong.body.message]);
    const ok = await login('ada@northwind.test');
    expect(ok.status).toBe(200);
    const [, payload] = (ok.body.access_token as string).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: ok.body.user.id, workspace_id: f.northwindId, roles: ['Admin'] });
    expect(claims.exp - claims.iat).toBe(900);
  });

  it('refresh rotates the token; reusing an old one revokes the whole family', async () => {
    const first = (await login('grace@northwind.test')).body.refresh_token as string;
    const second = await refresh(first);
    expect(second.status).toBe(200);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
    // The first token again: a replay. Every token of the family is revoked, including the newest.
    const replay = await refresh(first);
    expect([replay.status, replay.body.code]).toEqual([401, 'REFRESH_TOKEN_REUSED']);
    const newest = await refresh(third.body.refresh_token);
    expect([newest.status, newest.body.code]).toEqual([401, 'REFRESH_TOKEN_REUSED']);
    // Other sessions of the same user live on.
    const other = (await login('grace@northwind.test')).body.refresh_token as string;
    expect((await refresh(other)).status).toBe(200);
  });

  it('concurrent refreshes with one token: exactly one wins', async () => {
    const token = (await login('linus@northwind.test')).body.refresh_token as string;
    const results = await Promise.all([refresh(token), refresh(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('an unknown refresh token is 401 REFRESH_TOKEN_INVALID', async () => {
    const response = await refresh('made-up-token');
    expect(ErrorBody.parse(response.body).code).toBe('REFRESH_TOKEN_INVALID');
  });

  const logout = (refresh_token: string, accessToken?: string) => {
    const pending = request(f.server).post('/auth/logout');
    return (accessToken ? pending.set('authorization', `Bearer ${accessToken}`) : pending).send({ refresh_token });
  };

  it('logout revokes the caller’s refresh token family', async () => {
    const session = (await login('mary@northwind.test')).body;
    const out = await logout(session.refresh_token, session.access_token);
    expect(out.body).toEqual({ status: 'Signed Out' });
    expect((await refresh(session.refresh_token)).status).toBe(401);
  });

  it('logout needs the access token of the session’s user', async () => {
    const session = (await login('mary@northwind.test')).body;
    const anonymous = await logout(session.refresh_token);
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await refresh(session.refresh_token)).status).toBe(200);
  });

  it('logout with another user’s refresh token answers as for an unknown token and revokes nothing', async () => {
    const victim = (await login('linus@northwind.test')).body;
    const caller = (await login('grace@northwind.test')).body;
    const foreign = await logout(victim.refresh_token, caller.access_token);
    const unknown = await logout('made-up-token', caller.access_token);
    expect([foreign.status, foreign.body]).toEqual([200, { status: 'Signed Out' }]);
    expect([unknown.status, unknown.body]).toEqual([foreign.status, foreign.body]);
    // The victim's session lives on, and so does the caller's own.
    const rotated = await refresh(victim.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await refresh(caller.refresh_token)).status).toBe(200);
    // Even a user who shares a workspace with the owner, and an Admin, cannot sign others out.
    const admin = (await login('ada@northwind.test')).body;
    await logout(rotated.body.refresh_token, admin.access_token).expect(200);
    expect((await refresh(rotated.body.refresh_token)).status).toBe(200);
  });

  describe('password policy at registration', () => {
    const register = (password: string, email = `policy-${Math.random().toString(36).slice(2)}@startup.test`) =>
      request(f.server).post('/auth/register').send({ email, password, name: 'Policy Tester', workspace_name: 'Policy Co' });

    it.each([
      ['twelve spaces', ' '.repeat(12)],
      ['password1234', 'password1234'],
      ['aaaaaaaaaaaa', 'aaaaaaaaaaaa'],
      ['a common password with a suffix', 'sunshine!2026'],
      ['the name', 'policy tester'],
    ])('%s: 400 PASSWORD_TOO_WEAK with an issue on password saying why', async (_what, password) => {
      const response = await register(password);
      expect(response.status).toBe(400);
      const body = ErrorBody.parse(response.body);
      expect(body.code).toBe('PASSWORD_TOO_WEAK');
      expect(body.issues).toEqual([{ path: 'password', message: expect.stringMatching(/^The password (is|repeats|contains) .+\.$/) }]);
    });

    it('the email itself, or its part before the @ (any case): 400 PASSWORD_TOO_WEAK', async () => {
      const email = 'Grace.Hopper-Policy@startup.test';
      for (const password of ['grace.hopper-policy@startup.test', 'GRACE.HOPPER-POLICY', email]) {
        const body = ErrorBody.parse((await register(password, email)).body);
        expect([body.code, body.issues[0]?.message]).toEqual(['PASSWORD_TOO_WEAK', expect.stringMatching(/your email address/)]);
      }
    });

    it('twelve NULs: refused as 400 (PASSWORD_TOO_WEAK, or INVALID_CHARACTERS where NUL is refused everywhere)', async () => {
      const response = await register('\u0000'.repeat(12));
      expect(response.status).toBe(400);
      expect(['PASSWORD_TOO_WEAK', 'INVALID_CHARACTERS']).toContain(ErrorBody.parse(response.body).code);
    });

    it('a strong password registers', async () => {
      expect((await register('violet tractor juggles 7 moons')).status).toBe(201);
    });

    it('no account exists after a refused registration', async () => {
      const email = 'refused-policy@startup.test';
      expect((await register('password1234', email)).status).toBe(400);
      expect((await register('violet tractor juggles 7 moons', email)).status).toBe(201);
    });
  });

  it('switching workspace needs a membership there, and issues a token for it', async () => {
    const ada = (await login('ada@northwind.test')).body.access_token as string;
    const switched = await request(f.server).post('/auth/switch-workspace').set('authorization', `Bearer ${ada}`).send({ workspace_id: f.globexId });
    expect(switched.status).toBe(200);
    expect(AuthSessionView.parse(switched.body)).toMatchObject({ role: 'Viewer', workspace: { slug: 'globex' } });
    const me = MeView.parse((await request(f.server).get('/me').set('authorization', `Bearer ${switched.body.access_token}`)).body);
    expect(me.workspace.slug).toBe('globex');
    const grace = (await login('grace@northwind.test')).body.access_token as string;
    const denied = await request(f.server).post('/auth/switch-workspace').set('authorization', `Bearer ${grace}`).send({ workspace_id: f.globexId });
    expect([denied.status, denied.body.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
  });

  it('a removed member’s token stops working at once', async () => {
    const session = (await login('frank@globex.test')).body;
    expect((await request(f.server).get('/companies').set('authorization', `Bearer ${session.access_token}`)).status).toBe(200);
    const members = (await request(f.server).get('/members').set(f.as('globexAdmin'))).body.items as { id: string; user: { email: string } }[];
    const frank = members.find((m) => m.user.email === 'frank@globex.test')!;
    await request(f.server).delete(`/members/${frank.id}`).set(f.as('globexAdmin')).expect(204);
    const after = await request(f.server).get('/companies').set('authorization', `Bearer ${session.access_token}`);
    expect([after.status, after.body.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
    expect((await refresh(session.refresh_token)).body.code).toBe('REFRESH_TOKEN_INVALID');
  });
});
