import type { AbilityFingerprints } from '@acme/nest-context';
import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { AbilityFactory } from './ability.factory';
import type { AppAbility } from './casl.types';

// CASL's "any subject" (AbilityFactory builds every ability with `anySubjectType: 'all'`).
const ANY_SUBJECT = 'all';
// Bump when the encoding changes, so no fingerprint of one version equals one of another.
const VERSION = 'acme-casl-fingerprint/1';
// 22 base64url characters: 132 bits of the sha256.
const LENGTH = 22;

/**
 * A digest of the rules of `ability` that can apply to `subject`: those whose subject is
 * `subject`, `'all'` (or a list holding either), in order, each with its action, subject,
 * conditions with their values (object keys sorted: `{ a, b }` and `{ b, a }` are the same
 * condition), fields and inverted flag; `reason` is left out (it changes no decision). Two
 * abilities get the same fingerprint only when those rules are identical, so whatever one allows
 * on `subject` the other allows too. A condition holding a value that cannot be written down
 * exactly (a function, a cycle, a symbol, a class instance without `toJSON`) makes the
 * fingerprint unique to this ability: nothing is shared with another one.
 */
export function abilityFingerprint(ability: AppAbility, subject: string): string {
  const rules = ability.rules as readonly RawRule[];
  let bySubject = fingerprints.get(rules);
  if (!bySubject) fingerprints.set(rules, (bySubject = new Map()));
  let fingerprint = bySubject.get(subject);
  if (fingerprint === undefined) {
    fingerprint = digest(rules.filter((rule) => appliesTo(rule, subject)));
    bySubject.set(subject, fingerprint);
  }
  return fingerprint;
}

/**
 * The app's `ABILITY_FINGERPRINTS` (nest-context's contract): the fingerprint of the current
 * request's ability (the one `PoliciesGuard` built, `AbilityFactory.current()`), or null when
 * there is none: no signed-in user, a route the guard skipped, a job or a system task.
 */
@Injectable()
export class CaslFingerprints implements AbilityFingerprints {
  constructor(private readonly abilities: AbilityFactory) {}

  async forSubject(subject: string): Promise<string | null> {
    const ability = this.abilities.current();
    return ability ? abilityFingerprint(ability, subject) : null;
  }
}

interface RawRule {
  action: unknown;
  subject?: unknown;
  conditions?: unknown;
  fields?: unknown;
  inverted?: boolean;
}

// Keyed by the ability's rule list: abilities are cached and reused, and `ability.update(rules)`
// replaces the list, so an updated ability is digested again.
const fingerprints = new WeakMap<readonly RawRule[], Map<string, string>>();

function appliesTo(rule: RawRule, subject: string): boolean {
  const subjects = Array.isArray(rule.subject) ? rule.subject : [rule.subject];
  // A rule without a subject (a claim rule) or with a class for a subject type: kept, to be safe.
  return subjects.some((candidate) => typeof candidate !== 'string' || candidate === subject || candidate === ANY_SUBJECT);
}

function digest(rules: readonly RawRule[]): string {
  let encoded: string;
  try {
    const parts = rules.map((rule) => [encode(rule.action), encode(rule.subject), encode(rule.conditions), encode(rule.fields), rule.inverted === true]);
    encoded = JSON.stringify([VERSION, parts]);
  } catch {
    // A value that cannot be written down exactly (Unencodable, or a getter that throws): this
    // ability's rules cannot be told from another's, so share nothing.
    encoded = JSON.stringify([VERSION, 'unique', randomUUID()]);
  }
  return createHash('sha256').update(encoded).digest('base64url').slice(0, LENGTH);
}

class Unencodable {}

/**
 * An exact, unambiguous form of a rule's value: each value is tagged with its type, so a string
 * never reads as a number or a date, and an object is never read as a tagged value.
 */
function encode(value: unknown, path: object[] = []): unknown {
  switch (typeof value) {
    case 'undefined':
      return ['u'];
    case 'boolean':
      return ['b', value];
    case 'string':
      return ['s', value];
    case 'number':
      return ['n', Number.isFinite(value) ? value : String(value)];
    case 'bigint':
      return ['i', value.toString()];
    case 'object':
      break;
    default:
      throw new Unencodable(); // function, symbol
  }
  if (value === null) return ['z'];
  if (path.includes(value)) throw new Unencodable();
  const inner = [...path, value];
  if (value instanceof Date) return ['d', Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()];
  if (value instanceof RegExp) return ['r', value.source, value.flags];
  if (Array.isArray(value)) return ['a', value.map((item) => encode(item, inner))];
  if (value instanceof Map) return ['m', [...value].map(([key, item]) => [encode(key, inner), encode(item, inner)])];
  if (value instanceof Set) return ['e', [...value].map((item) => encode(item, inner))];
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype !== Object.prototype && prototype !== null) {
    // An instance (an ObjectId, a Decimal): its own JSON form, else it may hide its value in
    // private fields, where two different values would look the same.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON !== 'function') throw new Unencodable();
    return [`c:${(prototype.constructor as { name?: string } | undefined)?.name ?? '?'}`, encode(toJSON.call(value), inner)];
  }
  const entries = Object.keys(value)
    .sort()
    .map((key) => [key, encode((value as Record<string, unknown>)[key], inner)]);
  return ['o', entries];
}
