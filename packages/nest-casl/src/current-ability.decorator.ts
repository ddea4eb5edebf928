import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

export const REQUEST_ABILITY = Symbol.for('@acme/nest-casl:request-ability');

/** The ability `PoliciesGuard` built for this request, as a handler parameter. */
export const CurrentAbility = createParamDecorator((_data: unknown, execution: ExecutionContext) => {
  const request = execution.switchToHttp().getRequest<Record<symbol, unknown>>();
  return request[REQUEST_ABILITY];
});
