// Pure helpers of describeTenantIsolation: path placeholders, route keys, leak search in bodies.

const PLACEHOLDER = /\{([^}]+)\}/g;
const PER_REQUEST_FIELDS = ['request_id', 'requestId', 'timestamp'];

/** The placeholder of `path` that takes the id: `{id}`, else the only `{param}`; undefined when there is none to pick. */
export function idPlaceholder(path: string): string | undefined {
  const names = [...path.matchAll(PLACEHOLDER)].map((match) => match[1]!);
  if (names.includes('id')) return 'id';
  return names.length === 1 ? names[0] : undefined;
}

/** `path` with its id placeholder replaced by `id` (URI-encoded). */
export function fillId(path: string, id: string): string {
  return path.replace(`{${idPlaceholder(path)}}`, encodeURIComponent(id));
}

/** `METHOD /path`, method upper-cased, for comparing routes. */
export function routeKey(route: string): string {
  return route.trim().replace(/^(\w+)\s+/, (_, method: string) => `${method.toUpperCase()} `);
}

/** The body without per-request fields (`request_id`, `requestId`, `timestamp`). */
export function withoutPerRequestFields(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !PER_REQUEST_FIELDS.includes(key)));
}

/**
 * Where in `body` one of `ids` appears, as `id at items[0].company.id`: any string value equal to
 * an id, at any depth and under any key (an envelope other than `items`, a nested row, a foreign
 * key), and numbers under id-like keys (`id`, `*_id`, `*Id`) for apps with integer ids.
 */
export function findIds(body: unknown, ids: ReadonlySet<string>, at = ''): string[] {
  if (typeof body === 'string') return ids.has(body) ? [`${body} at ${at || '(body)'}`] : [];
  if (body === null || typeof body !== 'object') return [];
  return Object.entries(body).flatMap(([key, value]) => {
    const path = Array.isArray(body) ? `${at}[${key}]` : at ? `${at}.${key}` : key;
    if (typeof value === 'number' && /(^id|_id|[a-z]Id)$/.test(key) && ids.has(String(value))) return [`${value} at ${path}`];
    return findIds(value, ids, path);
  });
}
