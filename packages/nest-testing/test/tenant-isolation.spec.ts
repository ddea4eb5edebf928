import { Controller, Delete, Get, Headers, Module, NotFoundException, Param, Patch } from '@nestjs/common';
import { HTTP_ADAPTERS, startHttpApp } from '@acme/nest-testing';
import { describeTenantIsolation } from '@acme/nest-testing/vitest';

// A tiny multi-tenant app: rows belong to workspace "a" or "b" (the x-workspace header).
const rows = new Map<string, { id: string; workspace: string; name: string }>([
  ['11111111-1111-4111-8111-111111111111', { id: '11111111-1111-4111-8111-111111111111', workspace: 'a', name: 'Alpha' }],
  ['22222222-2222-4222-8222-222222222222', { id: '22222222-2222-4222-8222-222222222222', workspace: 'b', name: 'Beta' }],
]);

@Controller('notes')
class NotesController {
  @Get() list(@Headers('x-workspace') workspace: string) {
    return { items: [...rows.values()].filter((r) => r.workspace === workspace) };
  }
  @Get(':id') get(@Param('id') id: string, @Headers('x-workspace') workspace: string) {
    return this.own(id, workspace);
  }
  @Patch(':id') rename(@Param('id') id: string, @Headers('x-workspace') workspace: string) {
    return { ...this.own(id, workspace), renamed: true };
  }
  @Delete(':id') remove(@Param('id') id: string, @Headers('x-workspace') workspace: string) {
    return this.own(id, workspace);
  }
  private own(id: string, workspace: string) {
    const row = rows.get(id);
    if (!row || row.workspace !== workspace) throw new NotFoundException({ code: 'NOT_FOUND', message: 'Note not found.' });
    return row;
  }
}

@Module({ controllers: [NotesController] })
class NotesModule {}

for (const adapter of HTTP_ADAPTERS) {
  describeTenantIsolation(`notes on ${adapter}`, {
    async setup() {
      const http = await startHttpApp(NotesModule, adapter);
      return {
        request: (method, path, options) => http.request(method, path, options),
        owner: { 'x-workspace': 'a' },
        intruder: { 'x-workspace': 'b' },
        ownerIds: { note: ['11111111-1111-4111-8111-111111111111'] },
        idRoutes: ['GET /notes/{id}', 'PATCH /notes/{id}', 'DELETE /notes/{id}'],
        close: () => http.close(),
      };
    },
    routes: [
      { method: 'GET', path: '/notes/{id}', resource: 'note' },
      { method: 'PATCH', path: '/notes/{id}', resource: 'note', body: { name: 'Hijacked' } },
      { method: 'DELETE', path: '/notes/{id}', resource: 'note' },
    ],
    lists: ['/notes'],
    expectBody: (body) => {
      if ((body as { code?: string }).code !== 'NOT_FOUND') throw new Error(`expected code NOT_FOUND, got ${JSON.stringify(body)}`);
    },
  });
}
