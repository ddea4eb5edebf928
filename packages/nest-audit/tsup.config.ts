import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `cli` is the acme-audit bin (package.json "bin"): ESM, its shebang kept from the source.
export default defineConfig(packageBuild({ index: 'src/index.ts', cli: 'src/cli/acme-audit.ts' }));
