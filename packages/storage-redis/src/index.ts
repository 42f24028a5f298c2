export { RedisStorage, createRedisStorage, type RedisStorageOptions } from './redis-storage.js'
export { connectRedisStorage, recommendedRedisOptions } from './connect.js'
