import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillId, findIds, idPlaceholder, routeKey, withoutPerRequestFields } from './isolation-checks';
import { TestingOptionsError } from './testing.errors';

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
  /**
   * Every `METHOD /path/{param}` route of the app, taken from the app itself (e.g. every path of
   * its OpenAPI document with a `{...}` parameter), never copied from `routes`: the suite fails
   * when one of them is missing from `routes`, so a new id route cannot go untested.
   */
  idRoutes: readonly string[];
  close?(): Promise<void>;
}

/**
 * A route that takes an id. The path's id placeholder (`{id}`, or its only `{param}`, e.g.
 * `{dealId}`) is replaced by the owner's ids of `resource`; write the placeholder as `idRoutes` does.
 */
export interface IsolationRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  resource: string;
  body?: unknown;
}

export interface TenantIsolationOptions {
  setup(): Promise<IsolationTarget>;
  /** Every id route of the app; each resource needs a `GET` route (it proves the owner's rows unchanged). */
  routes: readonly IsolationRoute[];
  /** List endpoints whose bodies must never contain the owner's ids, anywhere. Without any, that test is skipped. */
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
  /**
   * An id of the ids' format that no row has, to compare a foreign id's answer with.
   * @default '00000000-0000-4000-8000-000000000000' (give e.g. '999999999' for integer ids)
   */
  missingId?: string;
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The cross-workspace suite every multi-tenant API needs: for every route that takes an id, a
 * user of another workspace gets 404 (reads and writes alike), indistinguishable from an id that
 * never existed on every route; the owner's rows are unchanged afterwards; lists never contain
 * the owner's ids; and no id route of the app is left out.
 *
 * @example describeTenantIsolation('CRM', { setup, routes: [{ method: 'GET', path: '/companies/{id}', resource: 'company' }] });
 */
export function describeTenantIsolation(name: string, options: TenantIsolationOptions): void {
  const expected = options.expectStatus ?? 404;
  const perResource = options.idsPerResource ?? 2;
  for (const route of options.routes) {
    if (!idPlaceholder(route.path)) {
      throw new TestingOptionsError(`describeTenantIsolation: ${route.method} ${route.path} has no id placeholder: write it as {id} (or as its only {param})`);
    }
  }
  const readPathOf = (resource: string) => options.routes.find((r) => r.resource === resource && r.method === 'GET')?.path;
  const resources = [...new Set(options.routes.map((r) => r.resource))];

  // The tests build on each other (rows read before the attacks, compared after): never shuffled or concurrent.
  describe(`tenant isolation: ${name}`, { shuffle: false, concurrent: false }, () => {
    let target: IsolationTarget;
    const snapshots: { resource: string; id: string; body: string }[] = [];
    const idsOf = (resource: string) => target.ownerIds[resource]!.slice(0, perResource);

    beforeAll(async () => {
      target = await options.setup();
      for (const resource of resources) {
        expect(target.ownerIds[resource]?.length ?? 0, `owner ids of "${resource}"`).toBeGreaterThan(0);
      }
      for (const resource of resources) {
        const path = readPathOf(resource);
        if (!path) continue;
        for (const id of idsOf(resource)) {
          const own = await target.request('GET', fillId(path, id), { headers: target.owner });
          expect(own.status, `the owner reads ${path} with ${id}`).toBe(200);
          snapshots.push({ resource, id, body: JSON.stringify(own.body) });
        }
      }
    });
    afterAll(async () => {
      await target?.close?.();
    });

    it('covers every route that takes an id', () => {
      if (!Array.isArray(target.idRoutes)) {
        throw new TestingOptionsError('idRoutes is missing: return every METHOD /path/{param} route of the app from setup() (e.g. from its OpenAPI document)');
      }
      const covered = new Set(options.routes.map((r) => routeKey(`${r.method} ${r.path}`)));
      const app = new Set(target.idRoutes.map(routeKey));
      const uncovered = [...app].filter((r) => !covered.has(r)).sort();
      const unknown = [...covered].filter((r) => !app.has(r)).sort();
      expect(uncovered, `id routes of the app with no case in routes: ${uncovered.join(', ')}`).toEqual([]);
      expect(unknown, `routes that are not among the app's idRoutes: ${unknown.join(', ')}`).toEqual([]);
    });

    it(`answers ${expected} to another workspace on every id route`, async () => {
      expect(options.routes.length, 'routes').toBeGreaterThan(0);
      for (const route of options.routes) {
        for (const id of idsOf(route.resource)) {
          const response = await target.request(route.method, fillId(route.path, id), { headers: target.intruder, body: route.body });
          expect(response.status, `${route.method} ${route.path} with ${id}`).toBe(expected);
          options.expectBody?.(response.body);
        }
      }
    });

    it('cannot tell another workspace’s row from one that never existed', async () => {
      const comparable = options.comparableBody ?? withoutPerRequestFields;
      for (const route of options.routes) {
        const call = (id: string) => target.request(route.method, fillId(route.path, id), { headers: target.intruder, body: route.body });
        const foreign = await call(target.ownerIds[route.resource]![0]!);
        const missing = await call(options.missingId ?? MISSING_ID);
        expect({ status: foreign.status, body: comparable(foreign.body) }, `${route.method} ${route.path}: a foreign id vs a missing one`).toEqual({
          status: missing.status,
          body: comparable(missing.body),
        });
      }
    });

    it('leaves the owner’s rows as they were', async () => {
      const unread = resources.filter((resource) => !readPathOf(resource));
      expect(unread, `resources with no GET route in routes, so their rows cannot be compared: ${unread.join(', ')}`).toEqual([]);
      for (const { resource, id, body } of snapshots) {
        const after = await target.request('GET', fillId(readPathOf(resource)!, id), { headers: target.owner });
        expect(after.status, `${resource} ${id}`).toBe(200);
        expect(JSON.stringify(after.body), `${resource} ${id} changed after another workspace's requests`).toBe(body);
      }
    });

    it('never lists the owner’s ids to another workspace', async ({ skip }) => {
      if (!options.lists?.length) skip('no lists given');
      const owned = new Set(Object.values(target.ownerIds).flat());
      for (const path of options.lists!) {
        const response = await target.request('GET', path, { headers: target.intruder });
        expect(response.status, path).toBe(200);
        const leaked = findIds(response.body, owned);
        expect(leaked, `${path} shows another workspace the owner's ids: ${leaked.join(', ')}`).toEqual([]);
      }
    });
  });
}
