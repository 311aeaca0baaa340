/**
 * Redis connections of the queue executor: a URL checked before anything is queued (a server
 * that does not answer is an error within `connectTimeoutMs`, never a hang), then options for
 * BullMQ that wait through a Redis restart instead of failing the commands issued meanwhile.
 */
import type { RedisOptions } from 'bullmq';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import { SweepError } from '../errors';

/** Default milliseconds to wait for Redis to answer before giving up. */
export const CONNECT_TIMEOUT_MS = 5000;

/** ioredis options of a `redis://` or `rediss://` URL; `where` names the caller in errors. */
export function redisOptions(url: string, where: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SweepError(`${where}: redis must be a URL such as redis://localhost:6379, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new SweepError(`${where}: redis must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new SweepError(`${where}: the database in ${url} must be a number (redis://host:port/0)`);
  return {
    host: u.hostname === '' ? 'localhost' : u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 6379 : Number(u.port),
    username: u.username === '' ? undefined : decodeURIComponent(u.username),
    password: u.password === '' ? undefined : decodeURIComponent(u.password),
    db,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ's blocking connections need it; the others wait through a restart of Redis too
    maxRetriesPerRequest: null,
  };
}

/** The longest delay a timer holds (2^31 − 1 ms): a larger one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Refuses a connectTimeoutMs that is not a positive number a timer can hold (Infinity would time out at once). */
export function checkConnectTimeout(timeoutMs: number, where: string): void {
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) throw new SweepError(`${where}: connectTimeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${timeoutMs}`);
}

/**
 * Resolves once Redis at `url` answers a PING; rejects after `timeoutMs` with the URL and the
 * last connection error (refused, unknown host, timeout, authentication).
 */
export async function checkRedis(url: string, options: RedisOptions, timeoutMs: number, where: string): Promise<void> {
  checkConnectTimeout(timeoutMs, where);
  const client = new Redis({ ...(options as IoRedisOptions), lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: Math.min(timeoutMs, 10_000), retryStrategy: () => 200 });
  let last = 'no answer';
  client.on('error', (e: Error) => (last = e.message));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SweepError(`${where}: Redis at ${url} did not answer within ${timeoutMs} ms (${last}); is redis-server running there?`)), timeoutMs);
  });
  let stopped = false;
  const ping = async () => {
    while (!stopped) {
      try {
        if (client.status === 'wait') await client.connect();
        await client.ping();
        return;
      } catch (e) {
        // connection errors arrive as 'error' events (kept in `last`); a reply error is the server's answer
        const message = (e as Error).message;
        if (/NOAUTH|WRONGPASS|invalid password/i.test(message)) throw new SweepError(`${where}: Redis at ${url} refused the credentials (${message})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  try {
    await Promise.race([ping(), deadline]);
  } finally {
    stopped = true;
    clearTimeout(timer);
    client.disconnect();
  }
}
