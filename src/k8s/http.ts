/**
 * The HTTP layer under KubeCluster: node:http(s) requests authenticated by an Authenticator
 * (credentials.ts: CA, client certificates, tokens, exec plugins; client-node for auth providers
 * and proxies), each with a deadline, retried once with fresh credentials after a 401, and every
 * failure turned into a ClusterError that says what happened in one line.
 *
 * Why not client-node's generated APIs or its `Watch`: drdeck needs a deadline on every request
 * and full control of a watch's stream (client-node 1.4's watch drops its own timeout signal, see
 * reference/facts.md), and talks to CRDs it only knows by group, version and plural.
 */
import { STATUS_CODES, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ClusterError } from '../cluster.js';
import type { Auth, Authenticator } from './credentials.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestSpec {
  method: Method;
  /** The API path, e.g. `/apis/volsync.backube/v1alpha1/namespaces/default/replicationdestinations`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Overrides the client's request timeout. */
  timeoutMs?: number;
  /** Cancels the request (a stopped watcher). */
  signal?: AbortSignal;
}

/** "10 s", "1.5 s". */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

const isStatus = (value: unknown): value is { kind: 'Status'; message?: string; reason?: string; code?: number } =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';

/** The ClusterError for an API server answer with a status of 400 or more: its Status message when it sent one. */
export function statusError(code: number, body: string, what: string): ClusterError {
  try {
    const status: unknown = JSON.parse(body);
    if (isStatus(status) && status.message) return new ClusterError(status.message, status.code || code, status.reason ?? '');
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  const text = body.trim().split('\n')[0].slice(0, 200);
  return new ClusterError(`HTTP ${code} ${STATUS_CODES[code] ?? ''}${text ? `: ${text}` : ''} (${what})`, code, STATUS_CODES[code]?.replace(/ /g, '') ?? '');
}

/** A network failure in words: "connection refused by 127.0.0.1:6443: GET /api/v1/services". */
export function networkError(error: unknown, url: URL, what: string): ClusterError {
  const err = error as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  const host = url.host;
  const message = err?.message ?? String(error);
  if (code === 'ECONNREFUSED') return new ClusterError(`connection refused by ${host}: ${what}`, 0, 'ConnectionRefused');
  if (code === 'ECONNRESET' || message === 'socket hang up') return new ClusterError(`connection reset by ${host}: ${what}`, 0, 'ConnectionReset');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ClusterError(`cannot resolve ${url.hostname}: ${what}`, 0, 'Unreachable');
  if (['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE'].includes(code)) return new ClusterError(`${host} unreachable (${code}): ${what}`, 0, 'Unreachable');
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|EPROTO/.test(code))
    return new ClusterError(`TLS error with ${host}: ${message}: ${what}`, 0, 'TLSError');
  return new ClusterError(`${message}: ${what}`, 0, code || 'NetworkError');
}

/**
 * Requests to one API server with one kubeconfig user. Every request has a deadline; closing the
 * `closed` signal aborts everything in flight.
 */
export class ApiClient {
  constructor(
    private readonly auth: Authenticator,
    /** The server URL from the kubeconfig (may carry a path prefix, e.g. behind Rancher). */
    readonly server: string,
    readonly timeoutMs: number,
    private readonly closed: AbortSignal,
    /** The kubeconfig user, for messages. */
    readonly user: string,
  ) {}

  /** Sends a request and parses its JSON answer; rejects with a ClusterError. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const ms = spec.timeoutMs ?? this.timeoutMs;
    const res = await this.open(spec, ms, spec.signal, true);
    const body = res.body ?? '';
    try {
      return (body ? JSON.parse(body) : {}) as T;
    } catch {
      throw new ClusterError(`the API server sent invalid JSON (${describe(spec)})`, res.message.statusCode ?? 0, 'InvalidResponse');
    }
  }

  /**
   * Opens a streaming GET (a watch) and resolves with the response once the server answered 200,
   * within the request timeout; after that the stream has no deadline of its own: the caller ends
   * it through `spec.signal`. Rejects with a ClusterError (the server's Status for 4xx/5xx).
   */
  async stream(spec: RequestSpec & { signal: AbortSignal }): Promise<IncomingMessage> {
    const res = await this.open(spec, spec.timeoutMs ?? this.timeoutMs, spec.signal, false);
    return res.message;
  }

  /** The ClusterError for a stream that broke after `stream` resolved. */
  streamError(error: unknown, spec: RequestSpec): ClusterError {
    if (error instanceof ClusterError) return error;
    return networkError(error, this.url(spec), describe(spec));
  }

  private url(spec: RequestSpec): URL {
    const url = new URL(this.server.replace(/\/+$/, '') + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /**
   * One request. Credentials come first (a plugin has its own deadline, see credentials.ts); then
   * the deadline covers everything up to the response headers, and with `readBody` the body too;
   * error bodies are always read (within the deadline) to get the server's Status. A 401 drops the
   * credentials and the request is sent once more with fresh ones, as client-go refreshes on 401.
   */
  private async open(spec: RequestSpec, ms: number, signal: AbortSignal | undefined, readBody: boolean): Promise<{ message: IncomingMessage; body?: string }> {
    const url = this.url(spec);
    const what = describe(spec);
    const stopped = signal ? AbortSignal.any([this.closed, signal]) : this.closed;
    for (let attempt = 0; ; attempt++) {
      if (this.closed.aborted) throw new ClusterError(`the connection to the cluster is closed: ${what}`, 0, 'Closed');
      let auth: Auth;
      try {
        auth = await this.auth.get(stopped);
      } catch (error) {
        if (stopped.aborted) throw new ClusterError(`request cancelled: ${what}`, 0, 'Cancelled');
        throw error instanceof ClusterError
          ? error
          : new ClusterError(`cannot get credentials for user "${this.user}": ${(error as Error)?.message}`, 0, 'Unauthorized');
      }
      const answer = await this.attempt(spec, url, what, auth, ms, signal, readBody);
      if (answer.unauthorized === undefined) return answer;
      if (attempt === 0 && this.auth.rejected(auth)) continue;
      throw answer.unauthorized;
    }
  }

  /** One attempt of a request, within its deadline. A 401 is returned, not thrown, so `open` can retry it. */
  private async attempt(
    spec: RequestSpec,
    url: URL,
    what: string,
    auth: Auth,
    ms: number,
    signal: AbortSignal | undefined,
    readBody: boolean,
  ): Promise<{ message: IncomingMessage; body?: string; unauthorized?: ClusterError }> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), ms);
    const aborted = AbortSignal.any([deadline.signal, this.closed, ...(signal ? [signal] : [])]);
    const fail = (error: unknown): ClusterError => {
      if (error instanceof ClusterError) return error;
      if (deadline.signal.aborted) return new ClusterError(`timed out after ${seconds(ms)}: ${what}`, 0, 'Timeout');
      if (this.closed.aborted || signal?.aborted) return new ClusterError(`request cancelled: ${what}`, 0, 'Cancelled');
      return networkError(error, url, what);
    };
    try {
      const options: RequestOptions = {
        method: spec.method,
        agent: auth.agent,
        headers: {
          Accept: spec.accept ?? 'application/json',
          'User-Agent': 'drdeck',
          ...(spec.body !== undefined ? { 'Content-Type': spec.contentType ?? 'application/json' } : {}),
          ...auth.headers,
        },
      };
      const message = await abortable(send(url, options, spec.body, aborted), aborted);
      const status = message.statusCode ?? 0;
      if (status >= 400 || readBody) {
        const body = await abortable(readAll(message), aborted);
        if (status === 401) {
          const detail = statusError(status, body, what).message.replace(/ \(\w+ \S+\)$/, '');
          const text = /^unauthorized$/i.test(detail) ? '401 Unauthorized' : `401: ${detail}`;
          return {
            message,
            unauthorized: new ClusterError(`the API server rejected the credentials of user "${this.user}" (${text}): ${what}`, 401, 'Unauthorized'),
          };
        }
        if (status >= 400) throw statusError(status, body, what);
        return { message, body };
      }
      if (status < 200 || status >= 300) {
        message.destroy();
        throw new ClusterError(`unexpected HTTP ${status} (${what})`, status, 'Unexpected');
      }
      return { message };
    } catch (error) {
      throw fail(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(spec: RequestSpec): string {
  return `${spec.method} ${spec.path}`;
}

/** Settles with `promise`, or rejects as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Sends the request; resolves with the response when its headers arrive. Aborting destroys the socket.
 * Why the Content-Length: for a DELETE node sends a body with neither a length nor chunking, so the
 * server reads no body at all, and a delete's preconditions would be silently dropped.
 */
function send(url: URL, options: RequestOptions, body: unknown, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload === undefined ? options.headers : { ...options.headers, 'Content-Length': Buffer.byteLength(payload) };
    let response: IncomingMessage | undefined;
    // Why not http.request's own `signal`: the connection is kept alive (credentials.ts), and an
    // abort after the whole response has arrived (a watch its caller ends just after the server
    // ended it) destroyed a connection that was already back in the pool, under the next request.
    // A complete response is drained instead: its connection goes back to the pool.
    const onAbort = () => {
      if (response?.complete) response.resume();
      else req.destroy(new AbortError());
    };
    const letGo = () => signal.removeEventListener('abort', onAbort);
    const req = (url.protocol === 'http:' ? httpRequest : httpsRequest)(url, { ...options, headers }, (res) => {
      response = res;
      res.once('end', letGo);
      resolve(res);
    });
    req.once('close', letGo);
    req.on('error', reject);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    req.end(payload);
  });
}

/** What an aborted request fails with, named as Node names its own. */
class AbortError extends Error {
  constructor() {
    super('The operation was aborted');
    this.name = 'AbortError';
  }
}

function readAll(message: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    message.setEncoding('utf8');
    message.on('data', (chunk: string) => (text += chunk));
    message.on('end', () => resolve(text));
    message.on('error', reject);
    message.on('aborted', () => reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
  });
}
