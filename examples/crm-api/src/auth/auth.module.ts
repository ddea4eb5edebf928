import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import type { Env } from '../config/env.schema';
import { LoginThrottleModule } from '../throttling/login-throttle.module';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { IdentityModule } from './identity.module';
import { JwtAuthGuard } from './jwt-auth.guard';
import { MeController } from './me.controller';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { RefreshTokenStore } from './refresh-token.store';

@Module({
  imports: [
    IdentityModule,
    LoginThrottleModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      // A KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to parse it as a
      // public key on every verify, which costs more than the HMAC itself.
      useFactory: (config: ConfigService<Env, true>) => ({
        secret: createSecretKey(Buffer.from(config.get('JWT_SECRET'))),
        signOptions: { algorithm: 'HS256' },
      }),
    }),
  ],
  controllers: [AuthController, MeController],
  providers: [AuthService, PasswordHasher, PasswordPolicy, AccessTokenService, RefreshTokenStore, JwtAuthGuard],
  exports: [JwtAuthGuard, AccessTokenService],
})
export class AuthModule {}
