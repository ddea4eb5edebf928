import { hash } from 'node:crypto';
import { canonicalJson } from './chain-content';

/** Field names (any depth, case-insensitive) whose values are personal data by default. */
export const DEFAULT_PERSONAL = ['email', 'name', 'phone', 'firstName', 'lastName', 'fullName', 'address'];

/** Where a personal value sits in an entry: `['changes', 'email']`, `['metadata', 'contacts', 0, 'phone']`. */
export type PersonalPath = (string | number)[];

/** What a personal value is replaced with in the hashed content (so erasing it leaves the hash valid). */
export const PERSONAL_MASK = '[personal]';

/** The `personal` option, compiled: names match a key at any depth, dotted paths one exact place. */
export interface PersonalRules {
  readonly names: ReadonlySet<string>;
  readonly paths: ReadonlySet<string>;
}

/**
 * Compiles the `personal` option. A name without a dot matches that key at any depth
 * (case-insensitive, like `redact`); a dotted path matches that path inside `metadata` or
 * `changes` (array indexes are not part of it, and in `changes` the `from`/`to` level is
 * skipped, as `redact` does: `customer.email` matches `changes.customer.from.email`). A path may
 * also start with `metadata.` or `changes.` to match in that one place only.
 */
export function personalRules(personal: readonly string[]): PersonalRules {
  return {
    names: new Set(personal.filter((p) => !p.includes('.')).map((p) => p.toLowerCase())),
    paths: new Set(personal.filter((p) => p.includes('.'))),
  };
}

/**
 * The paths of personal values in an entry's `metadata` and `changes` (parsed JSON as stored),
 * in walk order (object keys sorted, arrays in order). Nothing below a personal key is visited.
 */
export function personalPathsOf(rules: PersonalRules, metadata: unknown, changes: unknown): PersonalPath[] {
  const found: PersonalPath[] = [];
  if (rules.names.size === 0 && rules.paths.size === 0) return found;
  walk(rules, 'metadata', metadata, ['metadata'], '', found);
  walk(rules, 'changes', changes, ['changes'], '', found);
  return found;
}

function walk(rules: PersonalRules, root: 'metadata' | 'changes', value: unknown, at: PersonalPath, dotted: string, found: PersonalPath[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(rules, root, item, [...at, index], dotted, found));
    return;
  }
  const byPath = rules.paths.size > 0;
  for (const key of Object.keys(value).sort()) {
    // In changes, `{ field: { from, to } }`: the from/to level is not part of a dotted path.
    const skip = root === 'changes' && at.length === 2 && (key === 'from' || key === 'to');
    const next = skip ? dotted : dotted ? `${dotted}.${key}` : key;
    if (!skip && (rules.names.has(key.toLowerCase()) || (byPath && (rules.paths.has(next) || rules.paths.has(`${root}.${next}`))))) {
      found.push([...at, key]);
      continue;
    }
    const field = (value as Record<string, unknown>)[key];
    if (field !== null && typeof field === 'object') walk(rules, root, field, [...at, key], next, found);
  }
}

/**
 * The value at each path of `container` (`{ metadata, changes }`), in order; null where a
 * path leads nowhere.
 */
export function valuesAt(container: Record<string, unknown>, paths: readonly PersonalPath[]): unknown[] {
  return paths.map((path) => {
    let value: unknown = container;
    for (const step of path) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return null;
      value = (value as Record<string | number, unknown>)[step];
    }
    return value ?? null;
  });
}

/**
 * A copy of `container` (`{ metadata, changes }`) where the value at each path that exists is
 * `replacement`; paths that lead nowhere add nothing. The input is not changed.
 */
export function replaceAt<T extends Record<string, unknown>>(container: T, paths: readonly PersonalPath[], replacement: unknown): T {
  if (paths.length === 0) return container;
  let copy: unknown = container;
  for (const path of paths) copy = setAt(copy, path, 0, replacement);
  return copy as T;
}

/** `replaceAt(container, paths, '[personal]')`: the form of metadata and changes that is hashed. */
export function maskPersonal<T extends Record<string, unknown>>(container: T, paths: readonly PersonalPath[]): T {
  return replaceAt(container, paths, PERSONAL_MASK);
}

function setAt(value: unknown, path: PersonalPath, depth: number, replacement: unknown): unknown {
  if (depth === path.length) return replacement;
  const step = path[depth]!;
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return value;
  if (Array.isArray(value)) {
    if (typeof step !== 'number') return value;
    const copy = [...value];
    copy[step] = setAt(value[step], path, depth + 1, replacement);
    return copy;
  }
  if (typeof step !== 'string') return value;
  // fromEntries defines own properties, so a key such as "__proto__" stays data.
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, key === step ? setAt(field, path, depth + 1, replacement) : field]));
}

/**
 * `sha256(salt ‖ utf8(canonicalJson([actorId, ip, userAgent, values])))`: commits to the
 * personal data of an entry without holding it, so the data can be erased and the chain still
 * verifies (through this stored digest).
 */
export function personalDigest(salt: Uint8Array, actorId: string | null, ip: string | null, userAgent: string | null, values: readonly unknown[]): Buffer {
  return hash('sha256', Buffer.concat([salt, Buffer.from(canonicalJson([actorId, ip, userAgent, values]), 'utf8')]), 'buffer');
}
