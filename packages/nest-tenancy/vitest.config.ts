import { defineSuiteProject } from '../../vitest.shared.ts';

// `pnpm test:drizzle-range` sets ACME_DRIZZLE_ORM_DIR to another drizzle-orm (the lowest of the
// peer range) for the whole tenancy suite: every `drizzle-orm` import resolves to it.
const drizzleDir = process.env.ACME_DRIZZLE_ORM_DIR;

export default defineSuiteProject('nest-tenancy', drizzleDir ? { resolve: { alias: [{ find: /^drizzle-orm(?=\/|$)/, replacement: drizzleDir }] } } : {});
