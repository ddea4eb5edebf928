import { randomBytes } from 'node:crypto';

/**
 * A name unique across parallel test files and runs, valid unquoted as a PostgreSQL identifier
 * and in Redis keys: `<prefix>_<time>_<random>`, lower case, under 63 bytes.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^([^a-z_])/, '_$1')
    .slice(0, 30);
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
