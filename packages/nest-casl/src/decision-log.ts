import { AUTHORIZATION_DECISIONS, type AuthorizationDecision } from '@acme/nest-context';
import type { AppAbility, CaslAction } from './casl.types';

type AbilityRule = NonNullable<ReturnType<AppAbility['relevantRuleFor']>>;

/**
 * `ability.can(action, subject)`, which also appends the decision and the rule that made it to the
 * request's `AUTHORIZATION_DECISIONS` (nothing is kept outside a request context). It asks CASL
 * for the rule `can` itself goes by (`relevantRuleFor`: the first rule, by priority, that applies),
 * so the answer is the same.
 */
export function decideAndLog(ability: AppAbility, action: CaslAction, subject: string): boolean {
  const rule = ability.relevantRuleFor(action, subject as Parameters<AppAbility['relevantRuleFor']>[1]);
  const allowed = rule !== null && !rule.inverted;
  const decision: AuthorizationDecision = Object.freeze({
    action,
    subject,
    decision: allowed ? 'Allowed' : 'Denied',
    rule: rule ? ruleIndex(ability, rule) : null,
    inverted: rule?.inverted ?? false,
    fields: rule ? conditionFields(rule) : NO_FIELDS,
  });
  // A new list, never the one read: a nested scope that inherited it keeps its own view.
  AUTHORIZATION_DECISIONS.set([...(AUTHORIZATION_DECISIONS.get() ?? []), decision]);
  return allowed;
}

const NO_FIELDS: string[] = Object.freeze([]) as unknown as string[];

/** The rule's position in `ability.rules` (CASL's priority counts from the last rule). */
function ruleIndex(ability: AppAbility, rule: AbilityRule): number | null {
  const rules = ability.rules;
  const index = rules.length - 1 - rule.priority;
  if (rules[index] === rule.origin) return index;
  const found = rules.indexOf(rule.origin);
  return found >= 0 ? found : null;
}

// Rules live as long as their (cached) ability: their field names are worked out once.
const fieldsOfRule = new WeakMap<object, string[]>();

/**
 * The field names a rule's conditions name, in order, once each: the keys of its conditions and of
 * those inside `$and`, `$or` and `$nor`, not the fields inside an operator's value (`$elemMatch`
 * names fields of the array's items).
 */
export function conditionFields(rule: Pick<AbilityRule, 'conditions'>): string[] {
  if (rule.conditions === undefined || rule.conditions === null) return NO_FIELDS;
  let fields = fieldsOfRule.get(rule);
  if (!fields) {
    const found = new Set<string>();
    collectFields(rule.conditions, found, 0);
    fields = Object.freeze([...found]) as unknown as string[];
    fieldsOfRule.set(rule, fields);
  }
  return fields;
}

const LOGICAL = new Set(['$and', '$or', '$nor']);
const MAX_DEPTH = 32;

function collectFields(conditions: unknown, found: Set<string>, depth: number): void {
  if (typeof conditions !== 'object' || conditions === null || depth > MAX_DEPTH) return;
  for (const [key, value] of Object.entries(conditions)) {
    if (LOGICAL.has(key) && Array.isArray(value)) {
      for (const branch of value) collectFields(branch, found, depth + 1);
    } else if (!key.startsWith('$')) {
      found.add(key);
    }
  }
}
