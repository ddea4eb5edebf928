import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// Algorithm is an ambient const enum (not importable as a value with isolatedModules): 2 = Argon2id.
const ARGON2ID = 2 as Algorithm.Argon2id;
import type { Env } from '../config/env.schema';

/**
 * argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1). A fixed dummy hash is verified for
 * unknown emails so sign-in takes as long whether or not the account exists.
 */
@Injectable()
export class PasswordHasher {
  private readonly options;
  private dummy: Promise<string> | undefined;

  constructor(config: ConfigService<Env, true>) {
    this.options = { algorithm: ARGON2ID, memoryCost: config.get('ARGON2_MEMORY_KIB'), timeCost: 2, parallelism: 1 };
  }

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return verify(passwordHash, password).catch(() => false);
  }

  /** Burns the same time as a real verification, for unknown accounts. */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('dummy password for timing');
    await this.verify(await this.dummy, password);
    return false;
  }
}
