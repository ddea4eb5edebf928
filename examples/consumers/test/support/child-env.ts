import { delimiter, dirname } from 'node:path';

/**
 * The environment for npm, pnpm, tsc and the apps: the Node that runs vitest (22, from the root
 * `node@22` devDependency) first on PATH, so `#!/usr/bin/env node` tools run on it rather than the
 * machine's Node 20; and without the variables the outer pnpm sets for its scripts (`npm_execpath`,
 * `npm_package_*`, `pnpm_config_*`...), so the consumer's npm behaves as in a user's shell.
 * `npm_config_*` settings (a registry mirror, a cache folder) are kept.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const fromOuterTools = (/^(npm|pnpm)_/i.test(key) && !/^npm_config_/i.test(key)) || key === 'npm_config_user_agent' || /^VITEST/.test(key);
    if (!fromOuterTools && key !== 'NODE_OPTIONS') env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}
