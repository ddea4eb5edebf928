import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { count, countSchema } from './count.helper';
import { iso, isoSchema } from './iso.helper';
import { Page } from './page.schema';
import { definePresenter } from './presenter';

const ContactView = z.object({ id: z.string(), note_count: countSchema(), seen_at: isoSchema().nullable(), greeting: z.string() });
type Row = { id: string; notes: string | null; seen: Date | null; name: string };
const rows: Row[] = [
  { id: 'c1', notes: '4', seen: new Date(Date.UTC(2026, 0, 1)), name: 'Ada' },
  { id: 'c2', notes: null, seen: null, name: 'Grace' },
];

describe('definePresenter', () => {
  const Presenter = definePresenter(ContactView, (row: Row, ctx: { greeting: string }) => ({
    id: row.id,
    note_count: count(row.notes),
    seen_at: iso(row.seen),
    greeting: `${ctx.greeting}, ${row.name}`,
  }));

  it('builds complete views from rows with the context, which the schema accepts as is', () => {
    const views = Presenter.toViews(rows, { greeting: 'Hello' });
    expect(views).toEqual([
      { id: 'c1', note_count: 4, seen_at: '2026-01-01T00:00:00.000Z', greeting: 'Hello, Ada' },
      { id: 'c2', note_count: 0, seen_at: null, greeting: 'Hello, Grace' },
    ]);
    expect(z.array(ContactView).parse(views)).toEqual(views);
    expect(Presenter.toView(rows[1]!, { greeting: 'Hi' }).greeting).toBe('Hi, Grace');
    expect(Presenter.schema).toBe(ContactView);
  });

  it('builds a Page with a normalised total and an explicit next cursor', () => {
    const page = Presenter.toPage(rows, { total: '42', next_cursor: null }, { greeting: 'Hey' });
    expect(page).toMatchObject({ total: 42, next_cursor: null });
    expect(page.items).toHaveLength(2);
    expect(Page(ContactView).parse(page)).toEqual(page);
  });

  it('calls a presenter without context with the row only (never an array index)', () => {
    const seen: unknown[] = [];
    const NoContext = definePresenter(z.object({ id: z.string() }), (row: Row, ...rest: unknown[]) => {
      seen.push(rest[0]);
      return { id: row.id };
    });
    expect(NoContext.toViews(rows)).toEqual([{ id: 'c1' }, { id: 'c2' }]);
    expect(seen).toEqual([undefined, undefined]);
  });
});

describe('Page', () => {
  it('is the { items, total, next_cursor } envelope, next_cursor nullable but required', () => {
    const schema = Page(ContactView);
    expect(Object.keys(schema.shape)).toEqual(['items', 'total', 'next_cursor']);
    expect(schema.safeParse({ items: [], total: 0 }).success).toBe(false);
    expect(schema.safeParse({ items: [], total: 0, next_cursor: null }).success).toBe(true);
  });

  it('returns one schema per item schema, registered as <id>Page when the item has an id', () => {
    const Named = z.object({ id: z.string() }).meta({ id: 'PresenterSpecNamed' });
    expect(Page(Named)).toBe(Page(Named));
    expect(z.globalRegistry.get(Page(Named))?.id).toBe('PresenterSpecNamedPage');
    expect(z.globalRegistry.get(Page(ContactView))?.id).toBeUndefined();
  });
});
