import type { MembershipAnswer } from './membership-cache';
import { TenancyOptionsError } from './tenancy.errors';
import type { Membership, TenancyRequest } from './tenancy.options';

/**
 * What `isMember` answered, checked: a boolean, or `{ claims }` with plain-data claims (copied, so
 * that nothing the request later changes reaches a cached answer).
 */
export function membershipAnswer(answer: unknown): MembershipAnswer {
  if (answer === true) return { member: true, claims: null };
  if (answer === false || answer === undefined || answer === null) return { member: false };
  const claims = (answer as Partial<Membership>).claims;
  if (typeof answer === 'object' && typeof claims === 'object' && claims !== null && !Array.isArray(claims)) {
    try {
      return { member: true, claims: Object.freeze(structuredClone(claims)) };
    } catch {
      // a function, a class instance with private state...: fall through to the error
    }
  }
  throw new TenancyOptionsError(
    'TenancyModule option "isMember" must answer true, false, or { claims } with plain-data claims (e.g. { claims: { roles: ["Admin"] } }).',
  );
}

/** Sets the claims of a membership on `request.user` (a fresh copy each time: a handler may change them). */
export function applyClaims(request: TenancyRequest, claims: Readonly<Record<string, unknown>>): void {
  request.user = Object.assign(request.user ?? {}, structuredClone(claims));
}

/**
 * With `membershipCache`, a cached answer is served without calling `isMember`, so an `isMember`
 * that changes the request (say, `request.user.roles = [...]`) would leave hits without that
 * change: refused at once, with the fix, instead of serving a request with the wrong roles.
 */
export async function askWithoutSideEffects(request: TenancyRequest, ask: () => Promise<unknown>): Promise<unknown> {
  const before = request.user;
  const snapshot = before ? Object.entries(before) : [];
  const answer = await ask();
  const after = request.user;
  const changed =
    after !== before ||
    (after !== undefined &&
      (Object.keys(after).length !== snapshot.length || snapshot.some(([key, value]) => !Object.is((after as Record<string, unknown>)[key], value))));
  if (changed) {
    throw new TenancyOptionsError(
      'TenancyModule option "isMember" changed request.user while "membershipCache" is on: cached answers would skip that change. ' +
        'Answer { claims: { ... } } with what it sets instead (the guard sets them on every request, cached or not).',
    );
  }
  return answer;
}
