/**
 * TRUST_PROXY as Fastify's trustProxy option. Fastify 5 treats a bare hop count as "trust nothing" (a count
 * cannot tell a proxy from a client that connects directly and sends its own X-Forwarded-For), so a count
 * becomes a function that believes exactly the N nearest hops: right only when every request comes through
 * those proxies (docs/deploy.md says when to list the proxies' addresses instead).
 */
import type { Env } from '../config/env.js';

export type TrustProxyOption = false | string[] | ((address: string, hop: number) => boolean);

export function trustProxyOption(setting: Env['trustProxy']): TrustProxyOption {
  if (typeof setting !== 'number') return setting;
  if (setting === 0) return false;
  const hops = setting;
  return (_address, hop) => hop < hops;
}
