import type { Table } from 'drizzle-orm';
import type { SubjectName } from './casl.register';

// On the table object itself, so `alias()`ed tables (proxies) carry it too.
const SUBJECT = Symbol.for('@acme/nest-casl:subject');

/** Names the CASL subject a Drizzle table holds, for `accessibleBy(ability, action, table)`. */
export function caslSubject<T extends Table>(table: T, subject: SubjectName): T {
  Object.defineProperty(table, SUBJECT, { value: subject, enumerable: false, configurable: true });
  return table;
}

export function subjectOfTable(table: Table): SubjectName | undefined {
  return (table as unknown as Record<symbol, SubjectName | undefined>)[SUBJECT];
}
