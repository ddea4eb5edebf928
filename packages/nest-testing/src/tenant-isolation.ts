import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A response as the isolation suite looks at it. */
export interface IsolationResponse {
  status: number;
  body: any;
}

/** What the suite needs from the app under test, built in `setup`. */
export interface IsolationTarget {
  /** Sends a request (JSON body optional) as the given headers' user. */
  request(method: string, path: string, options: { headers: Record<string, string>; body?: unknown }): Promise<IsolationResponse>;
  /** Headers of a user of the workspace that owns the rows (e.g. `bearer({...})`). */
  owner: Record<string, string>;
  /** Headers of a user of another workspace. */
  intruder: Record<string, string>;
  /** Ids of rows the owner's workspace has, per resource kind (at least one each). */
  ownerIds: Record<string, readonly string[]>;
  /** Every `METHOD /path/{id}` route of the app (e.g. from its OpenAPI document), to prove coverage. */
  idRoutes?: readonly string[];
  close?(): Promise<void>;
}

/** A route that takes an id: `{id}` in `path` is replaced by the owner's ids of `resource`. */
export interface IsolationRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  resource: string;
  body?: unknown;
}

export interface TenantIsolationOptions {
  setup(): Promise<IsolationTarget>;
  routes: readonly IsolationRoute[];
  /** List endpoints that must never return the owner's ids to the intruder. */
  lists?: readonly string[];
  /** @default 404 */
  expectStatus?: number;
  /** Checks the body of a refusal, e.g. `(body) => expect(body.code).toBe('NOT_FOUND')`. */
  expectBody?(body: unknown): void;
  /** How many ids of each resource to try. @default 2 */
  idsPerResource?: number;
  /**
   * What of an error body must be identical for a foreign id and a missing one.
   * @default the body without per-request fields (`request_id`, `requestId`, `timestamp`)
   */
  comparableBody?(body: unknown): unknown;
}

const PER_REQUEST_FIELDS = ['request_id', 'requestId', 'timestamp'];

function withoutPerRequestFields(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !PER_REQUEST_FIELDS.includes(key)));
}

/**
 * The cross-workspace suite every multi-tenant API needs: for every route that takes an id, a
 * user of another workspace gets 404 (reads and writes alike), indistinguishable from an id that
 * never existed; the owner's rows are unchanged afterwards; lists never contain the owner's ids;
 * and, given the app's id routes, no route is left out.
 *
 * @example describeTenantIsolation('CRM', { setup, routes: [{ method: 'GET', path: '/companies/{id}', resource: 'company' }] });
 */
export function describeTenantIsolation(name: string, options: TenantIsolationOptions): void {
  const expected = options.expectStatus ?? 404;
  const perResource = options.idsPerResource ?? 2;
  describe(`tenant isolation: ${name}`, () => {
    let target: IsolationTarget;
    const snapshots = new Map<string, string>();
    const readPathOf = (resource: string) => options.routes.find((r) => r.resource === resource && r.method === 'GET')?.path;

    beforeAll(async () => {
      target = await options.setup();
      for (const route of options.routes) {
        expect(target.ownerIds[route.resource]?.length ?? 0, `owner ids of "${route.resource}"`).toBeGreaterThan(0);
      }
      for (const resource of new Set(options.routes.map((r) => r.resource))) {
        const path = readPathOf(resource);
        if (!path) continue;
        const id = target.ownerIds[resource]![0]!;
        const own = await target.request('GET', path.replace('{id}', id), { headers: target.owner });
        expect(own.status, `the owner reads ${path}`).toBe(200);
        snapshots.set(`${resource}:${id}`, JSON.stringify(own.body));
      }
    });
    afterAll(async () => {
      await target?.close?.();
    });

    it('covers every route that takes an id', () => {
      if (!target.idRoutes) return;
      const covered = options.routes.map((r) => `${r.method} ${r.path}`).sort();
      expect(covered).toEqual([...target.idRoutes].map((r) => r.replace(/^(\w+)/, (m) => m.toUpperCase())).sort());
    });

    it(`answers ${expected} to another workspace on every id route`, async () => {
      for (const route of options.routes) {
        for (const id of target.ownerIds[route.resource]!.slice(0, perResource)) {
          const response = await target.request(route.method, route.path.replace('{id}', id), { headers: target.intruder, body: route.body });
          expect(response.status, `${route.method} ${route.path} with ${id}`).toBe(expected);
          options.expectBody?.(response.body);
        }
      }
    });

    it('cannot tell another workspace’s row from one that never existed', async () => {
      const route = options.routes.find((r) => r.method === 'GET') ?? options.routes[0]!;
      const foreign = await target.request(route.method, route.path.replace('{id}', target.ownerIds[route.resource]![0]!), {
        headers: target.intruder,
        body: route.body,
      });
      const missing = await target.request(route.method, route.path.replace('{id}', '00000000-0000-4000-8000-000000000000'), {
        headers: target.intruder,
        body: route.body,
      });
      const comparable = options.comparableBody ?? withoutPerRequestFields;
      expect([missing.status, comparable(missing.body)]).toEqual([foreign.status, comparable(foreign.body)]);
    });

    it('leaves the owner’s rows as they were', async () => {
      for (const [key, before] of snapshots) {
        const [resource, id] = key.split(':') as [string, string];
        const after = await target.request('GET', readPathOf(resource)!.replace('{id}', id), { headers: target.owner });
        expect(after.status, key).toBe(200);
        expect(JSON.stringify(after.body), key).toBe(before);
      }
    });

    it('never lists the owner’s ids to another workspace', async () => {
      const owned = new Set(Object.values(target.ownerIds).flat());
      for (const path of options.lists ?? []) {
        const response = await target.request('GET', path, { headers: target.intruder });
        expect(response.status, path).toBe(200);
        const items: { id?: string }[] = Array.isArray(response.body) ? response.body : (response.body?.items ?? []);
        for (const item of items) expect(owned.has(item.id ?? ''), `${path} lists ${item.id}`).toBe(false);
      }
    });
  });
}
