import { claimsFromBearer } from '@acme/nest-testing';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** Stands in for JWT authentication: `Authorization: Bearer <base64 JSON claims>` -> request.user. */
@Injectable()
export class FakeJwtGuard implements CanActivate {
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = claimsFromBearer(request.headers.authorization);
    return true;
  }
}
