// What the README of @acme/nest-casl leaves out with `...`: the app's own database, authentication
// and gateway.
import { Injectable, type CanActivate } from '@nestjs/common';
import { drizzle } from 'drizzle-orm/node-postgres';

export const db = drizzle.mock();

@Injectable()
export class JwtAuthGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

export const userFromGateway = (headers: unknown) => (typeof headers === 'object' && headers !== null ? { id: 'u1', roles: ['Viewer'] } : null);
