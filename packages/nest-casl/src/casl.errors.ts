import { HttpException, HttpStatus } from '@nestjs/common';

/** Base of the HTTP errors this package throws; body `{ statusCode, code, message }`, `code` is stable. */
export abstract class CaslHttpException extends HttpException {
  constructor(
    readonly code: string,
    message: string,
    status: HttpStatus,
  ) {
    super({ statusCode: status, code, message }, status);
    this.name = new.target.name;
  }
}

/** 403: the user may see the subject but not do this to it (or the route has no policy). */
export class AccessForbiddenException extends CaslHttpException {
  constructor(message = 'You are not allowed to do this.', code = 'CASL_FORBIDDEN') {
    super(code, message, HttpStatus.FORBIDDEN);
  }
}

/** 404: the user may not even read the subject, so we do not say it exists. */
export class SubjectNotFoundException extends CaslHttpException {
  constructor(subject: string) {
    super('CASL_NOT_FOUND', `${subject} not found.`, HttpStatus.NOT_FOUND);
  }
}

/** 401: an ability is needed but the request carries no user. */
export class UnauthenticatedException extends CaslHttpException {
  constructor() {
    super('CASL_UNAUTHENTICATED', 'Sign in to do this.', HttpStatus.UNAUTHORIZED);
  }
}

/**
 * 401: the user the request resolved to cannot be used: an id that is empty, longer than 256
 * characters or holds control, invisible or unpaired-surrogate characters, such a role or roles
 * version, or a claim with NUL. Refused before any ability, denial event or query sees it.
 */
export class InvalidUserException extends CaslHttpException {
  constructor() {
    super(
      'CASL_USER_INVALID',
      'The signed-in user is not valid (an id or role that is empty, too long, or has control or invisible characters): sign in again.',
      HttpStatus.UNAUTHORIZED,
    );
  }
}

/** Thrown while building or translating abilities; never widens access. */
export class AbilityDefinitionError extends Error {
  readonly code = 'CASL_INVALID_ABILITY';
  constructor(message: string) {
    super(message);
    this.name = 'AbilityDefinitionError';
  }
}

/** Thrown by `accessibleBy` for a condition it cannot translate exactly (operator, field, value). */
export class UnsupportedConditionError extends Error {
  readonly code = 'CASL_UNSUPPORTED_CONDITION';
  constructor(message: string) {
    super(`${message} accessibleBy translates eq, ne, in, nin, lt, lte, gt, gte, and, or, not on plain columns.`);
    this.name = 'UnsupportedConditionError';
  }
}
