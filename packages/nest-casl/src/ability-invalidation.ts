import type { InvalidationMessage } from '@acme/nest-context';

/** The topic of ability invalidations on the app's `INVALIDATION_BUS`. */
export const ABILITY_INVALIDATION_TOPIC = '@acme/nest-casl:abilities';

/** Which cached abilities `AbilityFactory.invalidate` forgets: a user's, a workspace's, one user's in one workspace, or all (`{}`). */
export interface AbilityInvalidation {
  userId?: string;
  workspaceId?: string;
}

/**
 * The filter of a message from another replica. A message this package did not write (a field
 * that is not a string) forgets every ability: an unreadable invalidation never leaves one stale.
 */
export function invalidationFrom(message: InvalidationMessage): AbilityInvalidation {
  const { userId, workspaceId } = message;
  const readable = (value: unknown) => value === undefined || typeof value === 'string';
  if (!readable(userId) || !readable(workspaceId)) return {};
  return { ...(userId !== undefined ? { userId: userId as string } : {}), ...(workspaceId !== undefined ? { workspaceId: workspaceId as string } : {}) };
}
