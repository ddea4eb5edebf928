import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { filterPermittedFields } from './permitted-fields.helper';
import { FieldNotRedactableError } from './view-presenter.errors';

const ContactView = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  owner: z.object({ id: z.string(), phone: z.string().nullable() }).nullable(),
});
const view = { id: 'c1', name: 'Ada', email: 'ada@x.io', owner: { id: 'u1', phone: '+44' } };

describe('filterPermittedFields', () => {
  it('keeps permitted fields and nulls the others, so the view keeps its shape', () => {
    expect(filterPermittedFields(ContactView, view, ['id', 'name'])).toEqual({ id: 'c1', name: 'Ada', email: null, owner: null });
    expect(filterPermittedFields(ContactView, view, ['id', 'name', 'email', 'owner'])).toEqual(view);
  });

  it('reaches into nested objects with dotted names', () => {
    expect(filterPermittedFields(ContactView, view, ['id', 'name', 'owner.id'])).toEqual({
      id: 'c1',
      name: 'Ada',
      email: null,
      owner: { id: 'u1', phone: null },
    });
  });

  it('drops keys the schema does not name', () => {
    const leaky = { ...view, password_hash: 'x' } as typeof view;
    expect(filterPermittedFields(ContactView, leaky, ['id', 'name', 'email', 'owner', 'password_hash'])).toEqual(view);
  });

  it('refuses to hide a field whose schema does not allow null, naming it', () => {
    expect(() => filterPermittedFields(ContactView, view, ['id'])).toThrow(FieldNotRedactableError);
    expect(() => filterPermittedFields(ContactView, view, ['name', 'email', 'owner'])).toThrow(/"id" is not among the permitted fields.*\.nullable\(\)/);
    expect(() => filterPermittedFields(ContactView, view, ['id', 'name', 'owner.phone'])).toThrow(/"owner\.id"/);
  });
});
