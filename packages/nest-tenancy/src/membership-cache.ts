import {
  invalidateEverywhere,
  INVALIDATION_BUS,
  isInvalidationTrusted,
  type InvalidationBus,
  type InvalidationMessage,
  type InvalidationTrust,
} from '@acme/nest-context';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { RESOLVED_TENANCY_OPTIONS, type ResolvedTenancyOptions } from './resolve-tenancy-options';

/** The topic of membership invalidations on the app's `INVALIDATION_BUS`. */
export const MEMBERSHIP_INVALIDATION_TOPIC = '@acme/nest-tenancy:memberships';

/** Which cached memberships to forget: a user's, a workspace's, one user's in one workspace, or all (`{}`). */
export interface MembershipInvalidation {
  userId?: string;
  workspaceId?: string;
}

/** What `isMember` answered, as the guard uses it: claims null when it answered `true`. */
export type MembershipAnswer = { member: false } | { member: true; claims: Readonly<Record<string, unknown>> | null };

interface Entry {
  claims: Readonly<Record<string, unknown>> | null;
  /** When the `isMember` call that gave it started (`Date.now()`). */
  loadedAt: number;
}

/**
 * The `membershipCache` of `TenancyModule`: members' `isMember` answers per (user, workspace) in
 * this process. A hit is served while younger than `ttlMs` and trusted by nest-context's
 * `isInvalidationTrusted` (the bus healthy since its load, else at most `fallbackTtlMs`); a miss,
 * an expired entry or a refusal always asks `isMember`, and a refusal is never cached. An answer
 * whose load overlapped an invalidation is not cached either. Inject it to invalidate:
 * `invalidate({ userId, workspaceId })` when a membership or its role changes.
 */
@Injectable()
export class TenancyMembershipCache implements OnModuleDestroy {
  private readonly logger = new Logger('TenancyMembershipCache');
  private readonly entries = new Map<string, Entry>();
  private readonly trust: InvalidationTrust;
  private readonly unsubscribe?: () => void;
  /** Bumped by every invalidation: a load that saw it change stores nothing. */
  private generation = 0;

  constructor(
    @Inject(RESOLVED_TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    @Optional() @Inject(INVALIDATION_BUS) private readonly bus?: InvalidationBus,
  ) {
    const cache = options.membershipCache;
    this.trust = { bus, fallbackTtlMs: cache?.fallbackTtlMs ?? 0, replicated: cache?.replicated ?? false };
    if (cache) this.unsubscribe = bus?.subscribe(MEMBERSHIP_INVALIDATION_TOPIC, (message) => this.forget(invalidationFrom(message)));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Whether the module caches memberships (its `membershipCache` option). */
  get enabled(): boolean {
    return this.options.membershipCache !== null;
  }

  /** How many answers this process holds. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached answer of (user, workspace) if it may be served, else `load()`'s, cached when a member. */
  async resolve(userId: string, workspaceId: string, load: () => Promise<MembershipAnswer>): Promise<MembershipAnswer> {
    const settings = this.options.membershipCache;
    if (!settings) return load();
    const key = JSON.stringify([userId, workspaceId]);
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && now - entry.loadedAt < settings.ttlMs && isInvalidationTrusted(entry.loadedAt, this.trust, now)) {
      return { member: true, claims: entry.claims };
    }
    if (entry) this.entries.delete(key);
    const generation = this.generation;
    const loadedAt = Date.now();
    const answer = await load();
    if (answer.member && generation === this.generation) {
      if (this.entries.size >= settings.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { claims: answer.claims, loadedAt });
    }
    return answer;
  }

  /**
   * Forgets the cached memberships of a user and/or a workspace (`{}`: all of them), in this
   * process and, with the app's `INVALIDATION_BUS`, on every other replica. Inside a transaction
   * (a request under RLS, a `TenantDb.transaction`) it forgets them again once committed and tells
   * the other replicas then (never on rollback), so no replica keeps the state before the commit:
   * a removed member is refused on their next request, on any replica.
   */
  invalidate(filter: MembershipInvalidation = {}): void {
    // Published even where this process caches nothing: other replicas may.
    // The guard keys by the lower-case workspace id (one spelling per workspace).
    const userId = filter.userId;
    const workspaceId = typeof filter.workspaceId === 'string' ? filter.workspaceId.toLowerCase() : filter.workspaceId;
    invalidateEverywhere({
      bus: this.bus,
      topic: MEMBERSHIP_INVALIDATION_TOPIC,
      message: { ...(userId !== undefined ? { userId } : {}), ...(workspaceId !== undefined ? { workspaceId } : {}) },
      apply: () => this.forget({ userId, workspaceId }),
      onPublishError: (error) =>
        this.logger.warn(
          `Other replicas were not told to forget memberships (${error instanceof Error ? error.message : String(error)}): they expire there within membershipCache.fallbackTtlMs.`,
        ),
    });
  }

  private forget(filter: MembershipInvalidation): void {
    this.generation++;
    if (filter.userId === undefined && filter.workspaceId === undefined) {
      this.entries.clear();
      return;
    }
    for (const key of [...this.entries.keys()]) {
      const [userId, workspaceId] = JSON.parse(key) as [string, string];
      if ((filter.userId === undefined || filter.userId === userId) && (filter.workspaceId === undefined || filter.workspaceId === workspaceId)) {
        this.entries.delete(key);
      }
    }
  }
}

/** The filter of a message from another replica; one this package did not write forgets everything (fail closed). */
function invalidationFrom(message: InvalidationMessage): MembershipInvalidation {
  const { userId, workspaceId } = message;
  const readable = (value: unknown) => value === undefined || typeof value === 'string';
  if (!readable(userId) || !readable(workspaceId)) return {};
  return { ...(userId !== undefined ? { userId: userId as string } : {}), ...(workspaceId !== undefined ? { workspaceId: workspaceId as string } : {}) };
}
