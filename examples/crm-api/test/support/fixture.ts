import request from 'supertest';
import { seedDemo, type SeedResult } from '../../src/database/seed';
import { DEMO_PASSWORD } from '../../src/database/seed-data';
import { startTestApp, type TestApp } from './test-app';

export type Persona = 'admin' | 'operator' | 'pipeline' | 'viewer' | 'globexAdmin' | 'globexPipeline';

const EMAILS: Record<Persona, [email: string, workspace: 'northwind' | 'globex']> = {
  admin: ['ada@northwind.test', 'northwind'],
  operator: ['grace@northwind.test', 'northwind'],
  pipeline: ['linus@northwind.test', 'northwind'],
  viewer: ['mary@northwind.test', 'northwind'],
  globexAdmin: ['hank@globex.test', 'globex'],
  globexPipeline: ['frank@globex.test', 'globex'],
};

export interface CrmFixture extends TestApp {
  seed: SeedResult;
  northwindId: string;
  globexId: string;
  /** Access tokens per persona, signed in to their workspace. */
  tokens: Record<Persona, string>;
  userIds: Record<Persona, string>;
  /** Bearer header for a persona. */
  as(persona: Persona): { authorization: string };
}

/** The app with the demo seed (two workspaces, every role) and a signed-in token per persona. */
export async function startCrmFixture(extraEnv: Record<string, string> = {}): Promise<CrmFixture> {
  const app = await startTestApp(extraEnv);
  const seed = await seedDemo(app.ownerUrl, { argon2MemoryKib: 1024 });
  const ids = { northwind: seed.workspaces.find((w) => w.slug === 'northwind')!.id, globex: seed.workspaces.find((w) => w.slug === 'globex')!.id };
  const tokens = {} as Record<Persona, string>;
  const userIds = {} as Record<Persona, string>;
  for (const [persona, [email, workspace]] of Object.entries(EMAILS) as [Persona, [string, 'northwind' | 'globex']][]) {
    const response = await request(app.server).post('/auth/login').send({ email, password: DEMO_PASSWORD, workspace_id: ids[workspace] });
    if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${JSON.stringify(response.body)}`);
    tokens[persona] = response.body.access_token;
    userIds[persona] = response.body.user.id;
  }
  return {
    ...app,
    seed,
    northwindId: ids.northwind,
    globexId: ids.globex,
    tokens,
    userIds,
    as: (persona) => ({ authorization: `Bearer ${tokens[persona]}` }),
  };
}
