import { Inject } from '@nestjs/common';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Schema } from './schema';

/** Drizzle over the runtime role (RLS applies). Feature code never injects it: it uses TenantDb. */
export const APP_DB = Symbol.for('crm-api:app-db');
/** Drizzle over the BYPASSRLS role, for deliberate cross-workspace reads (auth, worker). */
export const SYSTEM_DB = Symbol.for('crm-api:system-db');
export const APP_POOL = Symbol.for('crm-api:app-pool');
export const SYSTEM_POOL = Symbol.for('crm-api:system-pool');

export type Database = NodePgDatabase<Schema>;

export const InjectSystemDb = () => Inject(SYSTEM_DB);
