import { AUTHORIZATION_DECISIONS, type AuthorizationDecision } from '@acme/nest-context';

/**
 * A copy of the current request's authorization decisions (nest-context's `AUTHORIZATION_DECISIONS`,
 * written by @acme/nest-casl's `PoliciesGuard` with `decisionLog: true`), for an entry's
 * `metadata.authorization`; undefined when the request has none. Only the contract's fields are
 * copied, so an entry never shares an object with the request or carries anything else.
 */
export function currentAuthorizationDecisions(): AuthorizationDecision[] | undefined {
  const decisions = AUTHORIZATION_DECISIONS.get();
  if (!decisions?.length) return undefined;
  return decisions.map(({ action, subject, decision, rule, inverted, fields }) => ({ action, subject, decision, rule, inverted, fields: [...fields] }));
}
