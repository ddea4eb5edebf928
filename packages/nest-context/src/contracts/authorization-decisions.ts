/**
 * The authorization-decision contract between the package that decides (@acme/nest-casl, with
 * its `decisionLog` option on) and packages that record what was decided (@acme/nest-audit copies
 * the decisions of a request into its entries): the slot and the shape live here so that neither
 * imports the other.
 */
import { defineContextSlot, type ContextSlot } from '../context-slot';

/** One authorization check and the rule that decided it. */
export interface AuthorizationDecision {
  /** The checked action ('Read', 'Update', ...). */
  action: string;
  /** The checked subject ('Deal', 'all', ...). */
  subject: string;
  /** What the check answered. */
  decision: 'Allowed' | 'Denied';
  /**
   * The position of the deciding rule in the caller's rules (`ability.rules` of CASL: the rules of
   * the user's roles in the order they were defined), or null when no rule applied (denied, since
   * nothing allowed it).
   */
  rule: number | null;
  /** Whether the deciding rule is a `cannot` (false when no rule applied). */
  inverted: boolean;
  /** The field names the deciding rule's conditions name, in order, once each; [] for a rule without conditions. */
  fields: string[];
}

/**
 * The authorization decisions of the current request, oldest first (undefined: none recorded).
 * A writer appends by setting a new list, `AUTHORIZATION_DECISIONS.set([...(AUTHORIZATION_DECISIONS.get() ?? []), decision])`,
 * never by changing the one it read; a reader copies what it keeps. Each request has its own list:
 * decisions never leak into another request.
 */
export const AUTHORIZATION_DECISIONS: ContextSlot<readonly AuthorizationDecision[]> = defineContextSlot<readonly AuthorizationDecision[]>(
  '@acme/nest-context:authorization-decisions',
);
