import { maintainAuditPartitions, DEFAULT_AUDIT_TABLE, type AuditPartitionUpkeep } from '@acme/nest-audit';
import { Cron, QueueProcessor, type QueueHandler } from '@acme/nest-queues';
import { Inject, Logger } from '@nestjs/common';
import type pg from 'pg';
import { auditPartitionUpkeepOptions } from '../audit/audit-storage';
import { AUDIT_OWNER_ROLE } from '../database/database-roles';
import { SYSTEM_POOL } from '../database/database.tokens';
import { auditPartitions } from './audit-partitions.queue';

/** What a run did: the upkeep's report, or why there was nothing to do. */
export type AuditPartitionsRun = ({ storage: 'Native Partitions' } & AuditPartitionUpkeep) | { storage: 'Hypertable' };

/**
 * Daily upkeep of the audit table's native partitions (the layout without TimescaleDB): creates
 * the partitions of the coming months, moves rows that landed in the DEFAULT partition into their
 * own, and drops partitions past retention, with the settings the migration used (AUDIT_STORAGE).
 * One BullMQ job scheduler for the cluster; a run that fails is retried. It acts as the table's
 * owner role for the length of the run only (SET ROLE on one connection of the system pool).
 */
@Cron(auditPartitions, { name: 'daily-audit-partition-upkeep', pattern: '30 1 * * *', tz: 'UTC', payload: {} })
@QueueProcessor(auditPartitions)
export class AuditPartitionsProcessor implements QueueHandler<typeof auditPartitions> {
  private readonly logger = new Logger('AuditPartitions');

  constructor(@Inject(SYSTEM_POOL) private readonly pool: pg.Pool) {}

  async process(): Promise<AuditPartitionsRun> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ kind: string | null }>('SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)) AS kind', [
        DEFAULT_AUDIT_TABLE,
      ]);
      // A TimescaleDB hypertable keeps its retention with the extension's own policies.
      const kind = rows[0]!.kind;
      if (kind !== null && kind !== 'p') {
        this.logger.log({ msg: 'audit partition upkeep skipped: the audit table is a hypertable (TimescaleDB policies keep it)' });
        return { storage: 'Hypertable' };
      }
      await client.query(`SET ROLE ${AUDIT_OWNER_ROLE}`);
      const upkeep = await maintainAuditPartitions(client, auditPartitionUpkeepOptions());
      this.logger.log({ msg: 'audit partitions maintained', ...upkeep });
      if (upkeep.leftInDefault > 0)
        this.logger.warn({ msg: 'audit rows stay in the DEFAULT partition; the next run continues', leftInDefault: upkeep.leftInDefault });
      return { storage: 'Native Partitions', ...upkeep };
    } finally {
      // The connection goes back to the pool as the system role, or not at all.
      await client.query('RESET ROLE').catch((error: Error) => (broken = error));
      client.release(broken);
    }
  }
}
