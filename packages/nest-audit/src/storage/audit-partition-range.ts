import type { AuditPartitionInterval } from './audit-storage.options';
import { quoteLiteral, type AuditTableName } from './sql-identifier';

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
    ranges.push(partitionRange(table, start, interval));
  }
  return ranges;
}

/** The partition of the period that starts at `start`. */
export function partitionRange(table: string, start: Date, interval: AuditPartitionInterval): AuditPartitionRange {
  return { name: `${table}_p${suffix(start, interval)}`, from: start, to: addPeriods(start, 1, interval) };
}

/** `CREATE TABLE ... PARTITION OF` for one range (bounds as UTC instants: no session time zone involved). */
export function createPartitionSql(name: AuditTableName, range: AuditPartitionRange, ifNotExists: boolean): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${name.sibling(range.name)} PARTITION OF ${name.qualified} ${rangeBoundSql(range)}`;
}

/** `FOR VALUES FROM (...) TO (...)` of one range. */
export function rangeBoundSql(range: AuditPartitionRange): string {
  return `FOR VALUES FROM (${quoteLiteral(range.from.toISOString())}) TO (${quoteLiteral(range.to.toISOString())})`;
}

/** Name of the DEFAULT partition the migration creates: `<table>_default`. */
export function defaultPartitionName(table: string): string {
  return `${table}_default`;
}

/**
 * `CREATE TABLE ... PARTITION OF ... DEFAULT`: the partition that takes the rows no range
 * partition covers, so an insert never fails for lack of a partition.
 */
export function createDefaultPartitionSql(name: AuditTableName, ifNotExists: boolean): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${name.sibling(defaultPartitionName(name.table))} PARTITION OF ${name.qualified} DEFAULT`;
}

function suffix(start: Date, interval: AuditPartitionInterval): string {
  const iso = start.toISOString(); // 2026-11-24T00:00:00.000Z
  return interval === 'day' ? `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}` : `${iso.slice(0, 4)}${iso.slice(5, 7)}`;
}
