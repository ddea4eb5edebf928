import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/http-app';
import { startCrmFixture, type CrmFixture, type Persona } from './support/fixture';

// Two API replicas of one deployment: the fixture's app (A) and a second app (B) on the same
// database and Redis (same QUEUE_PREFIX, so the same invalidation channel). Memberships are cached
// in each process (MEMBERSHIP_CACHE_TTL_SECONDS, default 60 s).
describe('membership and ability caches across API replicas', () => {
  let f: CrmFixture;
  let b: NestExpressApplication;
  let owner: pg.Client;
  let viewerMembership: string;

  const onB = {
    listCompanies: (persona: Persona) => request(b.getHttpServer()).get('/companies').set(f.as(persona)),
    createCompany: (persona: Persona) =>
      request(b.getHttpServer())
        .post('/companies')
        .set(f.as(persona))
        .send({ name: `Replica ${Math.random()}`, industry: 'Retail', size_range: '1-10' }),
  };

  beforeAll(async () => {
    f = await startCrmFixture();
    b = await createHttpApp({ env: f.env, logger: false });
    await b.init();
    owner = new pg.Client({ connectionString: f.ownerUrl });
    await owner.connect();
    const members = (await request(f.server).get('/members').set(f.as('admin'))).body.items as { id: string; user: { email: string } }[];
    viewerMembership = members.find((m) => m.user.email === 'mary@northwind.test')!.id;
  });
  afterAll(async () => {
    await owner?.end();
    await b?.close();
    await f?.close();
  });

  it('replica B serves the membership from its cache: a change made behind the app’s back is not seen', async () => {
    expect((await onB.createCompany('viewer')).status).toBe(403);
    // The database says Operator now, but nobody told the replicas: B still knows a Viewer.
    await owner.query(`UPDATE memberships SET role = 'Operator' WHERE id = $1`, [viewerMembership]);
    try {
      expect((await onB.createCompany('viewer')).status).toBe(403);
    } finally {
      await owner.query(`UPDATE memberships SET role = 'Viewer' WHERE id = $1`, [viewerMembership]);
    }
  });

  it('a role change made through replica A takes effect on the next request through replica B', async () => {
    expect((await onB.createCompany('viewer')).status).toBe(403); // cached on B as Viewer
    await request(f.server).patch(`/members/${viewerMembership}`).set(f.as('admin')).send({ role: 'Operator' }).expect(200);
    expect((await onB.createCompany('viewer')).status).toBe(201);
    await request(f.server).patch(`/members/${viewerMembership}`).set(f.as('admin')).send({ role: 'Viewer' }).expect(200);
    expect((await onB.createCompany('viewer')).status).toBe(403);
  });

  it('a member removed through replica A loses access on their next request through replica B', async () => {
    const members = (await request(f.server).get('/members').set(f.as('admin'))).body.items as { id: string; user: { email: string } }[];
    const pipeline = members.find((m) => m.user.email === 'linus@northwind.test')!;
    expect((await onB.listCompanies('pipeline')).status).toBe(200); // cached on B
    expect((await onB.listCompanies('pipeline')).status).toBe(200);
    await request(f.server).delete(`/members/${pipeline.id}`).set(f.as('admin')).expect(204);
    const refused = await onB.listCompanies('pipeline');
    expect([refused.status, refused.body.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
    expect((await request(f.server).get('/companies').set(f.as('pipeline'))).status).toBe(404);
  });
});
