import type { z } from 'zod';
import { toPage, type Page, type PageInfo } from './page.schema';

/** Arguments after the row: the context is optional only when the presenter declares none. */
export type ContextArgs<Ctx> = undefined extends Ctx ? [ctx?: Ctx] : [ctx: Ctx];

/** What `definePresenter` returns. */
export interface Presenter<S extends z.ZodType, Row, Ctx> {
  /** The view schema: pass it to `@ViewResponse` (or `Page(presenter.schema)`). */
  readonly schema: S;
  /** One row as its view. */
  toView(row: Row, ...ctx: ContextArgs<Ctx>): z.output<S>;
  /** Rows as views, in order. */
  toViews(rows: readonly Row[], ...ctx: ContextArgs<Ctx>): z.output<S>[];
  /** Rows as a `Page` envelope, for `@ViewResponse(Page(presenter.schema))`. */
  toPage(rows: readonly Row[], info: PageInfo, ...ctx: ContextArgs<Ctx>): Page<z.output<S>>;
}

/**
 * Defines how a row (or aggregate) becomes its view. The function must be total: it returns the
 * complete schema *output* (counts through `count()`, dates through `iso()`, related entities
 * populated, variations as tagged unions), so the view is right even where validation is sampled
 * or off. The function is not validated here: `@ViewResponse` checks its output at the edge.
 *
 * @example
 * export const DealPresenter = definePresenter(DealView, (row: DealRow, ctx: { now: Date }) => ({
 *   id: row.id,
 *   contact_count: count(row.contact_count),
 *   created_at: iso(row.created_at),
 * }));
 */
export function definePresenter<S extends z.ZodType, Row, Ctx = undefined>(schema: S, present: (row: Row, ctx: Ctx) => z.output<S>): Presenter<S, Row, Ctx> {
  const toViews = (rows: readonly Row[], ctx: Ctx) => {
    // A plain loop: rows.map would pass the index as `ctx` to a one-argument presenter.
    const views = new Array<z.output<S>>(rows.length);
    for (let i = 0; i < rows.length; i++) views[i] = present(rows[i]!, ctx);
    return views;
  };
  return {
    schema,
    toView: (row, ...ctx) => present(row, ctx[0] as Ctx),
    toViews: (rows, ...ctx) => toViews(rows, ctx[0] as Ctx),
    toPage: (rows, info, ...ctx) => toPage(toViews(rows, ctx[0] as Ctx), info),
  };
}
