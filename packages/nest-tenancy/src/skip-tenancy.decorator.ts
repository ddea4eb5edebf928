import { SetMetadata } from '@nestjs/common';

export const SKIP_TENANCY = Symbol.for('@acme/nest-tenancy:skip');

/** Marks a route or controller as outside any workspace (login, health, public pages). */
export const SkipTenancy = () => SetMetadata(SKIP_TENANCY, true);
