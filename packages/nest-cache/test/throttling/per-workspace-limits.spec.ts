import { limitByWorkspace, RedisThrottlerStorage, ThrottlerOptionsError } from '@acme/nest-cache';
import { ContextService, uuidv7 } from '@acme/nest-context';
import { bearer, type HttpTestApp } from '@acme/nest-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, storageOptions } from './support';

const PLANS = { Free: 2, Team: 5 } as const;
type Plan = keyof typeof PLANS;

describe('limitByWorkspace: per-workspace limits from the plan', () => {
  const planOf = new Map<string, Plan | 'Broken' | 'Weird'>();
  let lookups = 0;
  let http: HttpTestApp;
  beforeAll(async () => {
    const options = await storageOptions();
    http = await startReplica({
      storage: new RedisThrottlerStorage(options),
      throttlers: [
        {
          name: 'workspace',
          ttl: 60_000,
          limit: limitByWorkspace(
            async (workspaceId) => {
              lookups++;
              const plan = planOf.get(workspaceId);
              if (plan === 'Broken') throw new Error('plans database unreachable');
              if (plan === 'Weird') return Number.NaN;
              return plan ? PLANS[plan] : undefined;
            },
            { fallback: PLANS.Free },
          ),
        },
      ],
    });
  });
  afterAll(() => http?.close());

  async function admitted(workspaceId: string, attempts: number): Promise<number> {
    let ok = 0;
    for (let i = 0; i < attempts; i++) {
      const response = await http.request('GET', '/items', { headers: bearer({ ws: workspaceId }) });
      expect([200, 429]).toContain(response.status);
      if (response.status === 200) ok++;
    }
    return ok;
  }

  it('a workspace on a bigger plan gets its bigger limit', async () => {
    const free = uuidv7();
    const team = uuidv7();
    planOf.set(free, 'Free');
    planOf.set(team, 'Team');
    expect(await admitted(free, 8)).toBe(PLANS.Free);
    expect(await admitted(team, 8)).toBe(PLANS.Team);
    expect(lookups).toBeGreaterThanOrEqual(16); // looked up on every request (no cacheMs)
  });

  it('no plan, a failing lookup or a value that is not a limit: the fallback, never a 500', async () => {
    const unknown = uuidv7();
    const broken = uuidv7();
    const weird = uuidv7();
    planOf.set(broken, 'Broken');
    planOf.set(weird, 'Weird');
    expect(await admitted(unknown, 4)).toBe(PLANS.Free);
    expect(await admitted(broken, 4)).toBe(PLANS.Free);
    expect(await admitted(weird, 4)).toBe(PLANS.Free);
  });

  it('cacheMs: one lookup per workspace and window in a process', async () => {
    let calls = 0;
    const limit = limitByWorkspace(
      () => {
        calls++;
        return 7;
      },
      { fallback: 1, cacheMs: 60_000 },
    );
    const results = await new ContextService().run({ workspaceId: uuidv7(), actor: { kind: 'System', id: null } }, () =>
      Promise.all([limit({} as never), limit({} as never)]).then(async (first) => [...first, await limit({} as never)]),
    );
    expect(results).toEqual([7, 7, 7]);
    expect(calls).toBeLessThanOrEqual(2); // the first two ran concurrently; the third was remembered
    expect(await limit({} as never)).toBe(1); // outside any workspace: the fallback
  });

  it('refuses options it cannot use', () => {
    expect(() => limitByWorkspace(() => 1, { fallback: -1 })).toThrow(ThrottlerOptionsError);
    expect(() => limitByWorkspace(() => 1, { fallback: Number.NaN })).toThrow(/"fallback"/);
    expect(() => limitByWorkspace(() => 1, { fallback: 1, cacheMs: -5 })).toThrow(/"cacheMs"/);
    expect(() => limitByWorkspace('x' as never, { fallback: 1 })).toThrow(/"lookup"/);
  });
});
