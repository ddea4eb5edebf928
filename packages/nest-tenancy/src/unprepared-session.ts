import { UnscopableQueryError } from './tenancy.errors';

interface Session {
  prepareQuery(query: unknown, fields: unknown, name: string | undefined, ...rest: unknown[]): unknown;
}

/**
 * The session tenantDb builds its queries on: the app's own, except that it refuses named
 * prepared statements. `.prepare(name)` builds the SQL once, with the workspace of that moment
 * bound into it, and every later `execute()` would serve that workspace's rows to whichever
 * workspace runs it. Plain queries (Drizzle prepares those unnamed, per call) pass through.
 */
export function unpreparedSession<T extends object>(session: T): T {
  const base = session as unknown as Session;
  const scoped = Object.create(session) as Session;
  scoped.prepareQuery = function (query, fields, name, ...rest) {
    if (name) {
      throw new UnscopableQueryError(
        `prepare("${name}") would bind the current workspace into the statement for good; run the query without prepare(), or prepare it on a database scoped by hand.`,
      );
    }
    return base.prepareQuery.call(this, query, fields, name, ...rest);
  };
  return scoped as unknown as T;
}
