import { describe, expect, it } from 'vitest';
import { isRedisClusterConnection, redisHashTag } from './redis-hash-tag';

describe('redisHashTag', () => {
  it.each([
    ['{crm}', 'crm'],
    ['{crm}:emails:wait', 'crm'],
    ['app{crm}', 'crm'],
    ['a}{b}', 'b'],
    ['{a{b}c}', 'a{b'],
    ['{}{crm}', undefined],
    ['{}', undefined],
    ['bull', undefined],
    ['{crm', undefined],
    ['crm}', undefined],
  ])('%s -> %s', (key, tag) => {
    expect(redisHashTag(key)).toBe(tag);
  });
});

describe('isRedisClusterConnection', () => {
  it('is true only for a client that says isCluster', () => {
    expect(isRedisClusterConnection({ isCluster: true, connect() {} })).toBe(true);
    expect(isRedisClusterConnection({ isCluster: false })).toBe(false);
    expect(isRedisClusterConnection({ host: 'localhost', port: 6379 })).toBe(false);
    expect(isRedisClusterConnection(null)).toBe(false);
  });
});
