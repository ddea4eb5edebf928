/** Who performs the work: a signed-in user, the system itself, or a background job. */
export type ActorKind = 'User' | 'System' | 'Job';

/** The principal behind the current unit of work. `id` is null until authentication names it. */
export interface Actor {
  readonly kind: ActorKind;
  readonly id: string | null;
}

/**
 * What every package of the suite knows about the current unit of work (an HTTP request,
 * a job, a cron run). Immutable: change it with `ContextService.update`, which replaces it.
 */
export interface RequestContext {
  /** Correlates logs, audit entries and jobs. From `x-request-id` when valid, else a new UUIDv7. */
  readonly requestId: string;
  /** The tenant the work belongs to; null until tenancy resolves it (or for cross-tenant system work). */
  readonly workspaceId: string | null;
  readonly actor: Actor;
}

/** The fields `ContextService.update` may change; `requestId` stays fixed for a unit of work. */
export type RequestContextPatch = Partial<Pick<RequestContext, 'workspaceId' | 'actor'>>;

export const ACTOR_KINDS: readonly ActorKind[] = ['User', 'System', 'Job'];
