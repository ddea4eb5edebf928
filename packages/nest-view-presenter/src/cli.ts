#!/usr/bin/env node
// view-contract-lint <module> [--include <regex>] [--exclude <regex>]
// Lints every Zod schema (and presenter schema) a module exports; exit 1 on any problem.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lintViewContract } from './contract-lint';

const USAGE =
  'Usage: view-contract-lint <module> [--include <regex>] [--exclude <regex>]\n' +
  '  <module>  a file (./src/index.ts, ./dist/index.js) or a package name (@acme/crm-contracts)\n' +
  '  --include only export names matching this regex (e.g. "View$|Page$")\n' +
  '  --exclude skip export names matching this regex (e.g. "Input$" for request bodies)';

const isSchema = (value: unknown): value is { _zod: unknown } => typeof value === 'object' && value !== null && '_zod' in value;

async function load(specifier: string): Promise<Record<string, unknown>> {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return import(pathToFileURL(resolve(specifier)).href);
  try {
    // Resolve a package name from the current directory (the project being linted), not from here.
    return await import(pathToFileURL(createRequire(resolve('noop.js')).resolve(specifier)).href);
  } catch {
    return import(specifier);
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { include: { type: 'string' }, exclude: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const include = values.include ? new RegExp(values.include) : null;
  const exclude = values.exclude ? new RegExp(values.exclude) : null;
  const exports = await load(positionals[0]!);
  const seen = new Set<unknown>();
  let checked = 0;
  let problems = 0;
  // Schemas first, then presenters' schemas: a presenter exported beside its schema is checked once,
  // under the schema's name (module namespaces list exports alphabetically).
  const candidates = Object.entries(exports).filter(([name]) => !(include && !include.test(name)) && !(exclude && exclude.test(name)));
  const schemas = [
    ...candidates.filter(([, value]) => isSchema(value)),
    ...candidates.map(([name, value]) => [name, (value as { schema?: unknown } | null)?.schema] as const).filter(([, schema]) => isSchema(schema)),
  ];
  for (const [name, schema] of schemas) {
    if (seen.has(schema)) continue;
    seen.add(schema);
    checked++;
    for (const problem of lintViewContract(schema as never, { name })) {
      problems++;
      console.log(`${problem.path}: ${problem.message} [${problem.rule}]`);
    }
  }
  if (checked === 0) {
    console.error(`view-contract-lint: ${positionals[0]} exports no Zod schema${include || exclude ? ' matching the filters' : ''}.`);
    return 2;
  }
  console.log(`${checked} view schema(s) checked, ${problems} problem(s).`);
  return problems ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`view-contract-lint: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
