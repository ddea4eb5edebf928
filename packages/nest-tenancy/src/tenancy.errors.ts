import { AcmeError, AcmeHttpException } from '@acme/nest-context';
import { HttpStatus } from '@nestjs/common';

/**
 * Base of the errors this package throws for a programming or setup mistake (not a client's):
 * `code` (`TENANCY_*`) is stable across versions, the message says what to change.
 */
export abstract class TenancyError extends AcmeError {}

/**
 * Base of the HTTP errors this package throws. The response body is
 * `{ statusCode, code, message }`; `code` is stable across versions, `message` may change.
 */
export abstract class TenancyHttpException extends AcmeHttpException {}

/** 404: the row does not exist in the current workspace (it may exist in another: we do not say). */
export class TenantNotFoundException extends TenancyHttpException {
  constructor(what = 'Resource') {
    super('TENANCY_NOT_FOUND', `${what} not found.`, HttpStatus.NOT_FOUND);
  }
}

/** 401: the request names no workspace (no token, or a token without the workspace claim). */
export class WorkspaceRequiredException extends TenancyHttpException {
  constructor() {
    super('TENANCY_WORKSPACE_REQUIRED', 'This endpoint needs a workspace: sign in and select one.', HttpStatus.UNAUTHORIZED);
  }
}

/** 400: the workspace id is not a UUID (any other string, NUL and invisible characters included, or not a string). */
export class WorkspaceInvalidException extends TenancyHttpException {
  constructor() {
    super('TENANCY_WORKSPACE_INVALID', 'The workspace id is not a valid UUID: send the id of one of your workspaces.', HttpStatus.BAD_REQUEST);
  }
}

/**
 * 401: the request's user id (the `userIdClaim`) is not a usable identity: empty, longer than
 * 256 characters, or with control, invisible or unpaired-surrogate characters. Refused before
 * it reaches `isMember`, the database or the request context.
 */
export class UserInvalidException extends TenancyHttpException {
  constructor() {
    super(
      'TENANCY_USER_INVALID',
      'The user id of this request is not valid (empty, too long, or with control or invisible characters): sign in again.',
      HttpStatus.UNAUTHORIZED,
    );
  }
}

/** 404: the user is not a member of the requested workspace (indistinguishable from a missing one). */
export class WorkspaceNotFoundException extends TenancyHttpException {
  constructor() {
    super('TENANCY_WORKSPACE_NOT_FOUND', 'Workspace not found: select one of the workspaces you belong to.', HttpStatus.NOT_FOUND);
  }
}

/** 400: a write names a different workspace than the current one. */
export class WorkspaceMismatchException extends TenancyHttpException {
  constructor(table: string) {
    super(
      'TENANCY_WORKSPACE_MISMATCH',
      `A write to "${table}" names another workspace than the current one. Leave workspace_id out: it is set for you.`,
      HttpStatus.BAD_REQUEST,
    );
  }
}

/**
 * Tenant-scoped data was used outside any workspace (a route without the tenancy guard, a job
 * without `runInWorkspace`). Fails closed: the query never runs.
 */
export class TenantContextMissingError extends TenancyError {
  readonly code = 'TENANCY_CONTEXT_MISSING';
  constructor(operation: string) {
    super(
      `${operation} on a tenant table needs a workspace, but the request context has none. Protect the route ` +
        'with TenancyGuard, run jobs inside Tenancy.runInWorkspace(workspaceId, fn), or use ' +
        'Tenancy.withoutTenant(reason, fn) for deliberate cross-workspace work.',
    );
  }
}

/** A query shape tenancy cannot scope safely (e.g. INSERT ... SELECT into a tenant table). */
export class UnscopableQueryError extends TenancyError {
  readonly code = 'TENANCY_UNSCOPABLE_QUERY';
  constructor(reason: string) {
    super(`tenantDb cannot scope this query: ${reason}`);
  }
}

/** Thrown at bootstrap (or by `tenantDb()`) when options are invalid; the message names the option. */
export class TenancyOptionsError extends TenancyError {
  readonly code = 'TENANCY_INVALID_OPTIONS';
}

/** A function of this package was called with an argument it cannot use; the message names it. */
export class TenancyArgumentError extends TenancyError {
  readonly code = 'TENANCY_INVALID_ARGUMENT';
}

/**
 * The installed drizzle-orm lacks an internal this package scopes queries through (it changed
 * in a version outside the supported range). Thrown when a `TenantDb` is created, so that no
 * query can run unscoped.
 */
export class DrizzleUnsupportedError extends TenancyError {
  readonly code = 'TENANCY_DRIZZLE_UNSUPPORTED';
  constructor(what: string, supported: string) {
    super(
      `@acme/nest-tenancy cannot scope queries with the installed drizzle-orm: ${what}. ` +
        `Install a drizzle-orm version in the supported range (${supported}), or a version of @acme/nest-tenancy that supports yours.`,
    );
  }
}
