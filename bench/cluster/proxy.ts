/**
 * An HTTP proxy on loopback in front of the test API server that counts requests: it terminates TLS
 * with the API server's own serving certificate (valid for 127.0.0.1, signed by the CA every
 * kubeconfig of the harness trusts) and forwards each request over HTTPS, streaming both ways, so a
 * watch stays a watch. Used for `check`'s request count and the requests of a TUI's first seconds.
 */
import { readFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Sends `req` on to `upstream` over HTTPS and streams the answer back, both ways (a watch stays a watch). */
export function forward(req: IncomingMessage, res: ServerResponse, upstream: URL, agent: Agent, timeoutMs: number): void {
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      agent,
      timeout: timeoutMs,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  out.on('timeout', () => out.destroy());
  res.on('close', () => out.destroy());
  req.pipe(out);
}

export interface SeenRequest {
  method: string;
  path: string;
  watch: boolean;
  at: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startCountingProxy(clusterDir: string, target: string): Promise<CountingProxy> {
  const cert = readFileSync(join(clusterDir, 'pki', 'apiserver.crt'));
  const key = readFileSync(join(clusterDir, 'pki', 'apiserver.key'));
  const agent = new Agent({ keepAlive: true, ca: cert });
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const server: Server = createServer({ cert, key }, (req, res) => {
    const url = new URL(req.url ?? '/', target);
    seen.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
      at: Date.now(),
    });
    forward(req, res, upstream, agent, 600_000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
