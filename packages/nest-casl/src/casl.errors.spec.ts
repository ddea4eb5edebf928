import { AcmeError, AcmeHttpException, DENIAL_CODES } from '@acme/nest-context';
import { describe, expect, it } from 'vitest';
import {
  AbilityDefinitionError,
  AccessForbiddenException,
  CaslError,
  CaslHttpException,
  CaslOptionsError,
  InvalidUserException,
  SubjectNotFoundException,
  UnauthenticatedException,
  UnsupportedConditionError,
} from './casl.errors';

describe('CASL errors', () => {
  it('HTTP refusals are AcmeHttpExceptions whose codes are the shared denial codes', () => {
    const cases = [
      [new AccessForbiddenException(), 403, DENIAL_CODES.Forbidden],
      [new AccessForbiddenException('closed', DENIAL_CODES['No Policy']), 403, DENIAL_CODES['No Policy']],
      [new SubjectNotFoundException('Deal'), 404, DENIAL_CODES['Not Found']],
      [new UnauthenticatedException(), 401, DENIAL_CODES.Unauthenticated],
      [new InvalidUserException(), 401, 'CASL_USER_INVALID'],
    ] as const;
    for (const [error, status, code] of cases) {
      expect(error).toBeInstanceOf(CaslHttpException);
      expect(error).toBeInstanceOf(AcmeHttpException);
      expect(error.getStatus()).toBe(status);
      expect(error.code).toBe(code);
      expect(error.getResponse()).toEqual({ statusCode: status, code, message: error.message });
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('the other errors share one base with a stable CASL_ code and a message that says what to do', () => {
    const cases = [
      [new AbilityDefinitionError('The rule "Read Deal" has an undefined condition value.'), 'CASL_INVALID_ABILITY'],
      [new UnsupportedConditionError('The condition operator "regex" is not supported.'), 'CASL_UNSUPPORTED_CONDITION'],
      [new CaslOptionsError('CaslModule option "cacheSize" must be a positive integer.'), 'CASL_INVALID_OPTIONS'],
    ] as const;
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(CaslError);
      expect(error).toBeInstanceOf(AcmeError);
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(cases[1][0].message).toMatch(/write the rule with those, or check each row with assertCan/);
  });
});
