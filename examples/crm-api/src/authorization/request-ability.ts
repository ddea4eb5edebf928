import { Injectable } from '@nestjs/common';
import { AbilityFactory, type AppAbility } from '@acme/nest-casl';
import { ApiError } from '../common/api-error';

/** The current request's CASL ability, for services (PoliciesGuard built it for the route). */
@Injectable()
export class RequestAbility {
  constructor(private readonly factory: AbilityFactory) {}

  require(): AppAbility {
    const ability = this.factory.current();
    if (!ability) throw new ApiError('UNAUTHENTICATED', 'Sign in first.');
    return ability;
  }
}
