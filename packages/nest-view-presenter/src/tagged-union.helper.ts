import { z } from 'zod';
import { iso, isoSchema, type DateLike } from './iso.helper';

type Shapes = Record<string, z.ZodRawShape>;

/** The schema `taggedUnion` builds: one object per variant, `kind` (or the chosen key) a literal. */
export type TaggedUnion<T extends Shapes, K extends string = 'kind'> = z.ZodDiscriminatedUnion<
  { [V in keyof T & string]: z.ZodObject<{ [P in K]: z.ZodLiteral<V> } & T[V]> }[keyof T & string][],
  K
>;

/**
 * A discriminated union from a map of Title Case variant names to their fields: the variation
 * pattern views use instead of optional fields.
 *
 * @example
 * const Channel = taggedUnion({ None: {}, 'Email Sent': { at: isoSchema(), label: z.string() } });
 * // { kind: 'None' } | { kind: 'Email Sent'; at: string; label: string }
 * @param options.key the discriminator property. @default 'kind'
 */
export function taggedUnion<const T extends Shapes, const K extends string = 'kind'>(variants: T, options: { key?: K } = {}): TaggedUnion<T, K> {
  const key = options.key ?? 'kind';
  const objects = Object.entries(variants).map(([name, shape]) => z.object({ [key]: z.literal(name), ...shape }));
  return z.discriminatedUnion(key, objects as never) as unknown as TaggedUnion<T, K>;
}

/** Fields of every non-'None' variant of `lastActivitySchema`. */
export interface ActivityFields {
  at: z.ZodISODateTime;
  label: z.ZodString;
}

/**
 * The "last activity" view: `{ kind: 'None' }` or `{ kind: <one of kinds>, at, label }`, with
 * `at` an ISO 8601 string and `label` the sentence the UI shows ('Email to Ada Lovelace').
 *
 * @example last_activity: lastActivitySchema(['Email Sent', 'Call Logged'])
 */
export function lastActivitySchema<const K extends string>(kinds: readonly K[]) {
  const fields: ActivityFields = { at: isoSchema(), label: z.string() };
  const variants = Object.fromEntries([['None', {}], ...kinds.map((kind) => [kind, fields])]);
  return taggedUnion(variants as { None: Record<never, never> } & { [P in K]: ActivityFields });
}

/** A value of `lastActivitySchema`. */
export type LastActivity<K extends string> = { kind: 'None' } | { kind: K; at: string; label: string };

/**
 * Builds a `lastActivitySchema` value from row columns: `{ kind: 'None' }` when there is no
 * activity (no kind or no time), else the variant with `at` as ISO 8601.
 *
 * @example last_activity: lastActivity(row.last_activity_kind, row.last_activity_at, row.last_activity_label ?? '')
 */
export function lastActivity<K extends string>(kind: K | null | undefined, at: DateLike | null | undefined, label: string): LastActivity<K> {
  if (kind === null || kind === undefined || at === null || at === undefined) return { kind: 'None' };
  return { kind, at: iso(at), label };
}
