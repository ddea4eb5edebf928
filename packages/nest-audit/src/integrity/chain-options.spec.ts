import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveAuditOptions } from '../resolve-audit-options';
import type { AuditModuleOptions } from '../audit.options';
import { DEFAULT_PERSONAL } from './personal-data';

const database = { connectionString: 'postgres://localhost/db' };
const resolve = (integrity: unknown) => resolveAuditOptions({ database, integrity } as AuditModuleOptions).integrity;
const ed25519 = generateKeyPairSync('ed25519');

describe('integrity options', () => {
  it('defaults to no chain, the default personal fields and no checkpoints', () => {
    expect(resolveAuditOptions({ database }).integrity).toEqual({ chain: false, personal: DEFAULT_PERSONAL, checkpoints: undefined });
    expect(resolve({ chain: true, personal: ['ssn', 'customer.taxId'] })).toEqual({ chain: true, personal: ['ssn', 'customer.taxId'], checkpoints: undefined });
  });

  it('takes an Ed25519 signing key as a KeyObject or PEM, with its key id and interval', () => {
    const pem = ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const fromPem = resolve({ chain: true, checkpoints: { signingKey: pem } }).checkpoints!;
    expect(fromPem.signingKey.asymmetricKeyType).toBe('ed25519');
    expect(fromPem.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(fromPem.everyMs).toBe(60_000);
    const fromObject = resolve({ chain: true, checkpoints: { signingKey: ed25519.privateKey, keyId: 'k-2026', everyMs: 5_000 } }).checkpoints!;
    expect(fromObject).toMatchObject({ keyId: 'k-2026', everyMs: 5_000 });
    expect(fromObject.signingKey.equals(fromPem.signingKey)).toBe(true);
  });

  it('refuses a signing key that is not an Ed25519 private key with AUDIT_INVALID_SIGNING_KEY', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    for (const signingKey of [rsa.privateKey, ed25519.publicKey, 'not a pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 42, undefined]) {
      expect(() => resolve({ chain: true, checkpoints: { signingKey } })).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID_SIGNING_KEY' }));
    }
  });

  it('names the option of every other mistake (AUDIT_INVALID_OPTIONS)', () => {
    const cases: [unknown, RegExp][] = [
      ['yes', /"integrity" must be/],
      [{ chain: 'yes' }, /"integrity.chain" must be true or false/],
      [{ chain: true, personal: 'email' }, /"integrity.personal" must be a list/],
      [{ chain: true, personal: [''] }, /"integrity.personal" must be a list/],
      [{ chain: false, checkpoints: { signingKey: ed25519.privateKey } }, /set "integrity.chain: true"/],
      [{ chain: true, checkpoints: { signingKey: ed25519.privateKey, everyMs: 10 } }, /"integrity.checkpoints.everyMs" must be an integer of at least 1000/],
      [{ chain: true, checkpoints: { signingKey: ed25519.privateKey, keyId: '' } }, /"integrity.checkpoints.keyId"/],
      [{ chain: true, checkpoints: { signingKey: ed25519.privateKey, publish: 'https://x' } }, /"integrity.checkpoints.publish" must be a function/],
    ];
    for (const [integrity, message] of cases) {
      expect(() => resolve(integrity)).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID_OPTIONS', message: expect.stringMatching(message) }));
    }
  });
});
