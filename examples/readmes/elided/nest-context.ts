// What the README of @acme/nest-context leaves out with `...`: the code under test.
export const input = { title: 'Acme renewal' };
export const service = { create: async (value: { title: string }) => ({ id: 'deal-1', ...value }) };
