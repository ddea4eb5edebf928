import type { Logger } from '@nestjs/common';
import type { AuditMigrateOptions } from './audit.options';
import { migrateAudit } from './storage/audit-migration';
import { maintainAuditPartitions } from './storage/audit-partitions';
import type { SqlQueryable } from './storage/sql-client';

const PARTITION_UPKEEP_EVERY_MS = 6 * 60 * 60 * 1000;

/** Where the module's table is and how `migrate` asked for it to be stored. */
export interface AuditStorageSetup {
  table: string;
  schema: string | undefined;
  /** `migrate: true` is `{}` (the defaults). */
  storage: AuditMigrateOptions;
}

/**
 * `migrate` at startup: creates or completes the table with the storage settings given. Without
 * TimescaleDB it warns (once, with the reason) and runs the partition upkeep now and every
 * 6 hours with the same retention and partition settings; returns that timer to clear on shutdown.
 */
export async function prepareAuditStorage(pool: SqlQueryable, setup: AuditStorageSetup, logger: Logger): Promise<NodeJS.Timeout | undefined> {
  const { table, schema, storage } = setup;
  const { mode, reason } = await migrateAudit(pool, { timescale: 'auto', ...storage, table, schema });
  if (mode !== 'partitioned') return undefined;
  logger.warn(`Audit table "${table}" uses native range partitions, not TimescaleDB (${reason}); the module drops partitions older than retainFor.`);
  // Upcoming partitions exist before their rows arrive, and rows that reached the DEFAULT
  // partition move to their own. Run once now too, so retention applies even in processes that
  // never live 6 hours.
  const upkeep = () =>
    maintainAuditPartitions(pool, {
      table,
      schema,
      ...(storage.retainFor === undefined ? {} : { retainFor: storage.retainFor }),
      ...(storage.partitionInterval === undefined ? {} : { interval: storage.partitionInterval }),
      ...(storage.partitionsAhead === undefined ? {} : { ahead: storage.partitionsAhead }),
    }).then(
      ({ leftInDefault }) => {
        if (leftInDefault > 0) {
          logger.warn(
            `Audit table "${table}": ${leftInDefault} rows stay in its DEFAULT partition (timestamps outside years 1-9999, or more periods than one upkeep run moves); the next run continues.`,
          );
        }
      },
      (error: unknown) =>
        logger.error(`Audit partition upkeep failed (entries past the existing partitions pile up in the DEFAULT partition): ${String(error)}`),
    );
  await upkeep();
  return setInterval(() => void upkeep(), PARTITION_UPKEEP_EVERY_MS).unref();
}
