import { z } from 'zod';

// Building blocks of the views. Plain Zod (no Nest) so a frontend can import this package; they
// produce the same schemas as @acme/nest-view-presenter's isoSchema()/countSchema().

/** An ISO 8601 UTC timestamp string, never a Date. */
export const isoDateTime = () => z.iso.datetime();

/** A `*_count` field: non-negative integer, 0 when absent. */
export const countField = () => z.int().nonnegative().default(0);

export const UserSummary = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.email(),
    initials: z.string(),
    avatar_url: z.string().nullable(),
  })
  .meta({ id: 'UserSummary' });
export type UserSummary = z.infer<typeof UserSummary>;

export const WorkspaceSummary = z.object({ id: z.uuid(), name: z.string(), slug: z.string() }).meta({ id: 'WorkspaceSummary' });
export type WorkspaceSummary = z.infer<typeof WorkspaceSummary>;

export const CompanySummary = z.object({ id: z.uuid(), name: z.string(), domain: z.string().nullable() }).meta({ id: 'CompanySummary' });
export type CompanySummary = z.infer<typeof CompanySummary>;

export const ContactSummary = z.object({ id: z.uuid(), full_name: z.string(), email: z.email() }).meta({ id: 'ContactSummary' });
export type ContactSummary = z.infer<typeof ContactSummary>;

/**
 * The list envelope `{ items, total, next_cursor }`, the same shape as `Page()` of
 * @acme/nest-view-presenter (the API documents and validates with that one).
 */
export function pageOf<S extends z.ZodType>(item: S) {
  return z.object({ items: z.array(item), total: countField(), next_cursor: z.string().nullable() });
}
export interface Page<T> {
  items: T[];
  total: number;
  next_cursor: string | null;
}
