import { Global, Module } from '@nestjs/common';
import { RequestAbility } from './request-ability';

@Global()
@Module({ providers: [RequestAbility], exports: [RequestAbility] })
export class AuthorizationModule {}
