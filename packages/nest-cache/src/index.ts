export { CacheError } from './cache.errors';
