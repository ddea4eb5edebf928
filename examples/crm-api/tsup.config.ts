import { defineConfig } from 'tsup';

// The runnable app: ESM bundles of the processes and CLIs. @swc/core (root devDependency) makes tsup
// emit the decorator metadata Nest's DI needs. Dependencies stay external (node_modules), except
// the contracts package, which ships TypeScript source.
export default defineConfig({
  entry: { main: 'src/main.ts', worker: 'src/worker.ts', migrate: 'src/migrate.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  sourcemap: true,
  clean: true,
  dts: false,
  splitting: true,
  noExternal: ['@acme-examples/crm-contracts'],
});
