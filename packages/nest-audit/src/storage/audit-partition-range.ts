import type { AuditPartitionInterval } from './audit-storage.options';
import { quoteIdentifier, quoteLiteral, type AuditTableName } from './sql-identifier';

/** One native partition: `[from, to)` in UTC. */
export interface AuditPartitionRange {
  /** Partition table name: `<table>_p202611` (month) or `<table>_p20261124` (day). */
  name: string;
  from: Date;
  to: Date;
}

/** Start (UTC) of the period that contains `at`. */
export function periodStart(at: Date, interval: AuditPartitionInterval): Date {
  return interval === 'day'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** `start` moved by `count` periods (UTC; months by calendar). */
export function addPeriods(start: Date, count: number, interval: AuditPartitionInterval): Date {
  return interval === 'day'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + count))
    : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + count, 1));
}

/**
 * Every partition from the period containing `from` through `ahead` periods after the one
 * containing `now`, oldest first.
 */
export function partitionRanges(table: string, interval: AuditPartitionInterval, from: Date, now: Date, ahead: number): AuditPartitionRange[] {
  const last = addPeriods(periodStart(now, interval), ahead, interval);
  const ranges: AuditPartitionRange[] = [];
  for (let start = periodStart(from, interval); start <= last; start = addPeriods(start, 1, interval)) {
    ranges.push({ name: `${table}_p${suffix(start, interval)}`, from: start, to: addPeriods(start, 1, interval) });
  }
  return ranges;
}

/** `CREATE TABLE ... PARTITION OF` for one range (bounds as UTC instants: no session time zone involved). */
export function createPartitionSql(name: AuditTableName, range: AuditPartitionRange, ifNotExists: boolean): string {
  const partition = name.schema === undefined ? quoteIdentifier(range.name) : `${quoteIdentifier(name.schema)}.${quoteIdentifier(range.name)}`;
  return (
    `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${partition} PARTITION OF ${name.qualified} ` +
    `FOR VALUES FROM (${quoteLiteral(range.from.toISOString())}) TO (${quoteLiteral(range.to.toISOString())})`
  );
}

function suffix(start: Date, interval: AuditPartitionInterval): string {
  const iso = start.toISOString(); // 2026-11-24T00:00:00.000Z
  return interval === 'day' ? `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}` : `${iso.slice(0, 4)}${iso.slice(5, 7)}`;
}
