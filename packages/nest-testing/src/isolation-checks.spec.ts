import { describe, expect, it } from 'vitest';
import { fillId, findIds, idPlaceholder, routeKey } from './isolation-checks';

describe('isolation checks', () => {
  it('takes {id}, else the only {param}, as the id placeholder', () => {
    expect(idPlaceholder('/deals/{id}/notes/{noteId}')).toBe('id');
    expect(idPlaceholder('/deals/{dealId}/stage')).toBe('dealId');
    expect(idPlaceholder('/deals/{dealId}/notes/{noteId}')).toBeUndefined();
    expect(idPlaceholder('/deals')).toBeUndefined();
    expect(fillId('/deals/{dealId}/stage', 'a/b')).toBe('/deals/a%2Fb/stage');
  });

  it('compares routes whatever the case of the method', () => {
    expect(routeKey('get /notes/{id}')).toBe('GET /notes/{id}');
  });

  it('finds ids anywhere in a body, and integer ids under id-like keys only', () => {
    const ids = new Set(['u1', '7']);
    expect(findIds({ data: [{ note: { id: 'u1' } }], next: null }, ids)).toEqual(['u1 at data[0].note.id']);
    expect(findIds(['x', 'u1'], ids)).toEqual(['u1 at [1]']);
    expect(findIds({ items: [{ id: 7, company_id: 7, ownerId: 7 }], total: 7 }, ids)).toEqual([
      '7 at items[0].id',
      '7 at items[0].company_id',
      '7 at items[0].ownerId',
    ]);
    expect(findIds('u1', ids)).toEqual(['u1 at (body)']);
  });
});
