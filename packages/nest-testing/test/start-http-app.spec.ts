import { Body, Controller, Delete, Get, Headers, Module, Post } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { bearer, claimsFromBearer, HTTP_ADAPTERS, startHttpApp } from '@acme/nest-testing';

@Controller()
class EchoController {
  @Get('claims') claims(@Headers('authorization') authorization?: string) {
    return { claims: claimsFromBearer(authorization) ?? null };
  }
  @Post('echo') echo(@Body() body: unknown) {
    return body;
  }
  @Delete('thing') remove() {
    return { deleted: true };
  }
  @Get('text') text() {
    return 'plain text';
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

describe.each(HTTP_ADAPTERS)('startHttpApp on %s', (adapter) => {
  it('serves on a loopback port and sends JSON requests the way a client would', async () => {
    const http = await startHttpApp(EchoModule, adapter);
    try {
      expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await http.request('POST', '/echo', { body: { a: 1 } })).toMatchObject({ status: 201, body: { a: 1 } });
      // No body, no JSON content type: Fastify would reject an empty JSON body with 400.
      expect(await http.request('DELETE', '/thing')).toMatchObject({ status: 200, body: { deleted: true } });
      expect(await http.request('GET', '/claims', { headers: bearer({ sub: 'u1', roles: ['Admin'] }) })).toMatchObject({
        body: { claims: { sub: 'u1', roles: ['Admin'] } },
      });
      expect((await http.request('GET', '/text')).body).toBe('plain text');
    } finally {
      await http.close();
    }
  });
});
