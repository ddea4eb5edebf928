import { z } from 'zod';
import { count, countSchema, type CountLike } from './count.helper';

/** The list envelope every paginated view uses. `next_cursor` is null on the last page, never absent. */
export interface Page<T> {
  items: T[];
  total: number;
  next_cursor: string | null;
}

/** The schema `Page(item)` returns. */
export type PageSchema<S extends z.ZodType> = z.ZodObject<{
  items: z.ZodArray<S>;
  total: z.ZodDefault<z.ZodNumber>;
  next_cursor: z.ZodNullable<z.ZodString>;
}>;

// One envelope per item schema, so repeated `Page(Deal)` calls are the same schema: the OpenAPI
// document then has one component, and a registered id is never registered twice.
const pages = new WeakMap<z.ZodType, z.ZodType>();

/**
 * The paginated list schema `{ items, total, next_cursor }` around a view schema. When the item
 * schema has an OpenAPI id (`.meta({ id: 'Deal' })`), the envelope is registered as `DealPage`.
 *
 * @example @ViewResponse(Page(DealView))
 */
export function Page<S extends z.ZodType>(item: S): PageSchema<S> {
  const cached = pages.get(item);
  if (cached) return cached as PageSchema<S>;
  const schema = z.object({ items: z.array(item), total: countSchema(), next_cursor: z.string().nullable() });
  const id = z.globalRegistry.get(item)?.id;
  const page = id ? schema.meta({ id: `${id}Page` }) : schema;
  pages.set(item, page);
  return page as PageSchema<S>;
}

/** What a query knows about the page besides its items; both are required so no page claims a wrong total. */
export interface PageInfo {
  /** Matching rows across all pages (Postgres `count(*)` as string/bigint is fine). */
  total: CountLike;
  /** Cursor of the next page, null on the last one. */
  next_cursor: string | null;
}

/** Builds a `Page` value, `total` normalised like `count()`. */
export function toPage<T>(items: T[], info: PageInfo): Page<T> {
  return { items, total: count(info.total), next_cursor: info.next_cursor };
}
