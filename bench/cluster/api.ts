/**
 * A plain HTTPS client for the test API server with the harness's admin credentials (cluster.json's
 * token, the serving CA): the benchmark's loader, its write load and its raw LIST timing. Kept apart
 * from drdeck's own client so the figures measure the server, not drdeck's code. Every request has a
 * deadline.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { KIND_KEYS, type KindKey } from '../../src/kinds.js';
import { acceptFor, resourcePath } from '../../src/k8s/resources.js';

/** drdeck's LIST page size (src/k8s/watcher.ts DEFAULT_WATCH_TUNING.pageSize). */
export const PAGE_SIZE = 500;
const TIMEOUT_MS = 60_000;

export interface ApiResponse {
  status: number;
  body: string;
}

/** An authenticated HTTPS client for one test cluster folder. */
export class Api {
  readonly server: string;
  private readonly token: string;
  private readonly ca: string;
  private readonly agent: Agent;

  constructor(clusterDir: string, maxSockets = 16) {
    const state = JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as { server: string; tokens: { admin: string } };
    this.server = state.server;
    this.token = state.tokens.admin;
    this.ca = readFileSync(join(clusterDir, 'pki', 'apiserver.crt'), 'utf8');
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: this.ca });
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json'): Promise<ApiResponse> {
    const url = new URL(path, this.server);
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          timeout: TIMEOUT_MS,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept,
            ...(data !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: no answer in ${TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  /**
   * Watches `path` (a collection with `?watch=1&...`) and calls `onEvent` with the time each event
   * line arrived (performance.now) and its object's resourceVersion. Returns a stop function. Why in
   * the benchmark: the time the server itself takes to deliver a change to a watcher under the same
   * write load, beside the time drdeck takes to show it.
   */
  watch(path: string, onEvent: (at: number, type: string, resourceVersion: string | undefined) => void): () => void {
    const url = new URL(path, this.server);
    const req = request(url, { method: 'GET', ca: this.ca, headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' } }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (!line.trim()) continue;
          try {
            const event = JSON.parse(line) as { type: string; object?: { metadata?: { resourceVersion?: string } } };
            onEvent(at, event.type, event.object?.metadata?.resourceVersion);
          } catch {
            // A line cut by the stop: nothing to time.
          }
        }
      });
      res.on('error', () => {});
    });
    req.on('error', () => {});
    req.end();
    return () => req.destroy();
  }

  /** A request that must succeed (2xx, or 409 when `exists` is allowed); throws one line otherwise. */
  async must(method: string, path: string, body?: unknown, contentType?: string, allowConflict = false): Promise<ApiResponse> {
    const res = await this.request(method, path, body, contentType);
    if ((res.status >= 200 && res.status < 300) || (allowConflict && res.status === 409)) return res;
    throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 200).replace(/\s+/g, ' ')}`);
  }

  /** Lists every kind drdeck watches, all at once, page by page as drdeck does; returns the objects seen. */
  async listAll(kinds: readonly KindKey[] = KIND_KEYS): Promise<number> {
    const counts = await Promise.all(
      kinds.map(async (kind) => {
        let token: string | undefined;
        let n = 0;
        do {
          const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(token ? { continue: token } : {}) });
          const res = await this.request('GET', `${resourcePath(kind)}?${query}`, undefined, undefined, acceptFor(kind, true));
          if (res.status === 404) return 0; // a CRD the server does not serve
          if (res.status !== 200) throw new Error(`LIST ${kind}: ${res.status}`);
          const page = JSON.parse(res.body) as { items?: unknown[]; metadata?: { continue?: string } };
          n += page.items?.length ?? 0;
          token = page.metadata?.continue || undefined;
        } while (token);
        return n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  close(): void {
    this.agent.destroy();
  }
}
