import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `cli` is the `view-contract-lint` bin. `shims` gives the CJS build an `import.meta.url`
// (the optional @nestjs/swagger is loaded through createRequire).
export default defineConfig(packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts' }, { shims: true }));
