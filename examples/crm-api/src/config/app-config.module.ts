import { ConfigModule } from '@nestjs/config';
import type { z } from 'zod';
import { EnvSchema, parseEnv } from './env.schema';

/**
 * @nestjs/config with the Zod-validated environment: `ConfigService<Env, true>` everywhere.
 * `overrides` (tests) are merged over process.env before validation.
 */
export function appConfigModule(overrides: Record<string, string> = {}, schema: z.ZodType = EnvSchema) {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    cache: true,
    validate: (raw) => parseEnv({ ...raw, ...overrides }, schema) as Record<string, unknown>,
  });
}
