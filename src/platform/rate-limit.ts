import type { Redis } from 'ioredis';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends (0 when allowed). */
  retryAfterSeconds: number;
  remaining: number;
}

export interface RateLimiter {
  hit(client: string): Promise<RateDecision>;
}

// One round trip, atomic: a key that somehow lost its expiry gets one again instead of counting forever.
const HIT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

/**
 * A fixed-window counter in Redis, shared by every API process: `limit` hits per window and client,
 * the window starting with the client's first hit.
 */
export function fixedWindowLimiter(
  redis: Redis,
  options: { name: string; limit: number; windowMs: number },
): RateLimiter {
  return {
    async hit(client) {
      const key = `rl:${options.name}:${client}`;
      const [count, ttlMs] = (await redis.eval(HIT, 1, key, String(options.windowMs))) as [number, number];
      const allowed = count <= options.limit;
      return {
        allowed,
        retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(ttlMs / 1000)),
        remaining: Math.max(0, options.limit - count),
      };
    },
  };
}
