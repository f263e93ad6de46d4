/**
 * The router as drdeck uses it: its static DNS table, listed (the record count on the DNS panel,
 * the dns-add-records dry run) and added to (the fix). Two implementations: `RouterOsClient` (a
 * real RouterOS v7, `dns.routeros`) and the demo's `SimRouter` (src/sim/router.ts), backed by the
 * demo's DNS server. Nothing else writes to a router.
 */
import type { RouterOsConfig } from './routeros.js';
import { passwordFileWarning, routerOsClientFromConfig, type NewRouterDnsRecord, type RouterDnsRecord } from './routeros.js';

export type { NewRouterDnsRecord, RouterDnsRecord } from './routeros.js';

export interface Router {
  /** What to call it on screen: the router's host ("10.0.0.1", "router.lan:8080"), or "demo". */
  readonly label: string;
  /** The static entries, optionally filtered by name and type (type A matches entries without a type). */
  list(filter?: { name?: string; type?: string }): Promise<RouterDnsRecord[]>;
  /** Creates one entry and answers it as the router stored it; rejects with the router's own words. */
  add(record: NewRouterDnsRecord): Promise<RouterDnsRecord>;
  /** Something wrong with how it is set up that does not stop it working (a password file others can read). */
  readonly warning?: string;
}

/**
 * A router that cannot be used because its configuration cannot be (an unset password variable, an
 * unreadable CA file): every call fails with that reason, so the DNS panel and the fix say why
 * instead of drdeck refusing to start.
 */
export function unusableRouter(label: string, reason: string): Router {
  const fail = () => Promise.reject(new Error(reason));
  return { label, list: fail, add: fail };
}

/**
 * The router of `dns.routeros`, or one that says what is wrong with its configuration; with a
 * `warning` when its password file is readable by others.
 */
export function routerFromConfig(
  config: RouterOsConfig,
  env: NodeJS.ProcessEnv = process.env,
  readFile?: (path: string) => string,
  stat?: (path: string) => { mode: number },
): Router {
  let router: Router;
  try {
    router = routerOsClientFromConfig(config, env, readFile);
  } catch (error) {
    router = unusableRouter(new URL(config.url).host, error instanceof Error ? error.message : String(error));
  }
  const warning = config.passwordFile ? passwordFileWarning(config.passwordFile, stat) : undefined;
  return warning ? Object.assign(router, { warning }) : router;
}
