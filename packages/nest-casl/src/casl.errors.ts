import { AcmeError, AcmeHttpException, DENIAL_CODES } from '@acme/nest-context';
import { HttpStatus } from '@nestjs/common';

/**
 * Base class of the errors this package throws outside HTTP answers (ability definitions,
 * `accessibleBy` translation, options); `code` (`CASL_*`) is stable across versions.
 */
export abstract class CaslError extends AcmeError {}

/**
 * Base of the HTTP errors this package throws; body `{ statusCode, code, message }`, `code`
 * (`CASL_*`, the denial codes of `DENIAL_CODES`) is stable. An `AcmeHttpException`.
 */
export abstract class CaslHttpException extends AcmeHttpException {}

/** 403: the user may see the subject but not do this to it (or the route has no policy). */
export class AccessForbiddenException extends CaslHttpException {
  constructor(
    message = 'You are not allowed to do this: ask an administrator of this workspace for a role that allows it.',
    code: typeof DENIAL_CODES.Forbidden | (typeof DENIAL_CODES)['No Policy'] = DENIAL_CODES.Forbidden,
  ) {
    super(code, message, HttpStatus.FORBIDDEN);
  }
}

/** 404: the user may not even read the subject, so we do not say it exists. */
export class SubjectNotFoundException extends CaslHttpException {
  constructor(subject: string) {
    super(DENIAL_CODES['Not Found'], `${subject} not found: check the id and the workspace you are working in.`, HttpStatus.NOT_FOUND);
  }
}

/** 401: an ability is needed but the request carries no user. */
export class UnauthenticatedException extends CaslHttpException {
  constructor() {
    super(DENIAL_CODES.Unauthenticated, 'Sign in to do this.', HttpStatus.UNAUTHORIZED);
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

/** Thrown while building an ability from a role definition that could widen access; never widens it. */
export class AbilityDefinitionError extends CaslError {
  readonly code = 'CASL_INVALID_ABILITY';
}

/** Thrown by `accessibleBy` for a condition it cannot translate exactly (operator, field, value). */
export class UnsupportedConditionError extends CaslError {
  readonly code = 'CASL_UNSUPPORTED_CONDITION';
  constructor(message: string) {
    super(
      `${message} accessibleBy translates eq, ne, in, nin, lt, lte, gt, gte, and, or, not on plain columns: ` +
        'write the rule with those, or check each row with assertCan instead of filtering the list by it.',
    );
  }
}

/** Thrown at bootstrap when `CaslModule` options are invalid; the message names the option. */
export class CaslOptionsError extends CaslError {
  readonly code = 'CASL_INVALID_OPTIONS';
}
