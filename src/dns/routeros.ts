/**
 * The RouterOS v7 REST client for the router's static DNS entries (`/rest/ip/dns/static`), the
 * fix for seed issue 8: add the AAAA records external-dns never made, tagged so they can be found
 * again. Behaviour as documented (../../../shared/reference/facts.md): Basic auth, every value a
 * string, `.id` like `*1A` sent as `%2A1A`, errors as `{error, message, detail}`.
 *
 * Why node:http/https and not fetch: a router's self-signed CA and the insecure mode need a TLS
 * agent, and undici's Agent is not importable from Node 20 without installing undici.
 *
 * The password comes from an environment variable or a file, never the command line; it lives only
 * in a private field as the Authorization header, and no error message or thrown object carries it.
 */
import { readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { z } from 'zod';

/** The path of the static DNS table under the router's URL. */
export const DNS_STATIC_PATH = '/rest/ip/dns/static';

/** Why 10 s: the router gives up on a request only after 60 s, far too long for an operator waiting on a key. */
export const DEFAULT_ROUTER_TIMEOUT_MS = 10_000;

/** Every comment drdeck writes starts with this, so its records can be found again by comment. */
export const DRDECK_COMMENT_PREFIX = 'drdeck:';

/** `dns.routeros` in the config file. The password itself is never in the config. */
export const routerosConfigSchema = z
  .object({
    /** `https://router`, or `http://router:port` (RouterOS 7.9+ with the www service). */
    url: z.string().superRefine((value, ctx) => {
      const problem = routerUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** A router user with the api, rest-api, read and write policies. */
    user: z.string().min(1),
    /** The environment variable holding the password... */
    passwordEnv: z.string().min(1).optional(),
    /** ...or a file holding it (one trailing newline ignored). */
    passwordFile: z.string().min(1).optional(),
    password: z.never({ error: 'the password never goes in the config: name an environment variable (passwordEnv) or a file (passwordFile)' }).optional(),
    /** PEM file of the CA that signed the router's certificate (a self-signed router certificate is its own CA). */
    caFile: z.string().min(1).optional(),
    /** Accept any certificate. Dangerous: anyone on the path can read the password. */
    insecureSkipVerify: z.boolean().default(false),
    /**
     * Allow an `http://` URL. Dangerous: Basic auth then sends the user and password over the
     * network in clear text. Only for a router reached over a link you trust. Default false.
     */
    allowInsecureHttp: z.boolean().optional(),
    /** Per request; the router itself gives up after 60 s. */
    timeoutMs: z.number().int().positive().max(60_000).default(DEFAULT_ROUTER_TIMEOUT_MS),
  })
  .strict()
  .refine((c) => Boolean(c.passwordEnv) !== Boolean(c.passwordFile), {
    message: 'set exactly one of passwordEnv (an environment variable) or passwordFile',
    path: ['passwordEnv'],
  });

export type RouterOsConfig = z.infer<typeof routerosConfigSchema>;

/** Why an `http://` router URL is refused without `allowInsecureHttp: true`. */
export const INSECURE_HTTP_PROBLEM =
  'http:// would send the router password in clear text (Basic auth) to anyone on the path: use https://, or set allowInsecureHttp: true for a link you trust';

/** True for a router URL that is plain http and not explicitly allowed. */
export function refusedHttp(config: { url: string; allowInsecureHttp?: boolean }): boolean {
  return /^http:/i.test(config.url.trim()) && !config.allowInsecureHttp;
}

/**
 * ssh's rule for private keys, for the router's password file: one that group or others may use
 * gets a warning naming the fix. Undefined when the file is private, or cannot be looked at (the
 * read of the password then says why).
 */
export function passwordFileWarning(file: string, stat: (path: string) => { mode: number } = statSync): string | undefined {
  let mode: number;
  try {
    mode = stat(file).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `dns.routeros.passwordFile ${file} is readable by others (mode ${octal}): chmod 600 ${file}`;
}

/** Why a router URL is unusable, or undefined when it is fine. */
function routerUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL like https://router or http://router:8080';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  if (url.username || url.password) return 'must not hold credentials: set user, and passwordEnv or passwordFile';
  if (url.search || url.hash) return 'must not have a query or a fragment';
  if (url.pathname !== '/' && url.pathname !== '') return 'must be the router itself (no path): /rest is added';
  return undefined;
}

/** A request to the router failed; the message is the router's own words, or what went wrong and where. */
export class RouterError extends Error {
  constructor(
    message: string,
    /** `http`: the router answered with an error; `auth`: 401; the rest: no usable answer. */
    readonly kind: 'http' | 'auth' | 'timeout' | 'connect' | 'tls' | 'protocol',
    readonly method: string,
    /** The request path, without the router's address. */
    readonly path: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
    /** The router's `detail`, e.g. "failure: entry already exists". */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'RouterError';
  }
}

/** One static DNS entry, as drdeck uses it. */
export interface RouterDnsRecord {
  /** `.id`, like `*1A`: not stable across reboots, so match records by name, type and comment. */
  id: string;
  name: string;
  /** RouterOS leaves `type` out for A records: absent type means A. */
  type: string;
  address?: string;
  /** RouterOS duration, e.g. "1d" or "5m". */
  ttl?: string;
  comment?: string;
  disabled: boolean;
}

export interface NewRouterDnsRecord {
  name: string;
  type: 'A' | 'AAAA';
  address: string;
  /** RouterOS duration ("1d"); the router's default when absent. */
  ttl?: string;
  comment: string;
}

export interface RouterDnsRecordUpdate {
  name?: string;
  type?: 'A' | 'AAAA';
  address?: string;
  ttl?: string;
  comment?: string;
  disabled?: boolean;
}

export interface RouterOsClientOptions {
  url: string;
  user: string;
  password: string;
  /** PEM of the CA to trust instead of the system's. */
  ca?: string | Buffer;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Most the client reads of one answer; a static DNS table is far smaller. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** `*1A` -> `%2A1A`: encodeURIComponent leaves `*` alone, and the documented form is `%2A`. */
export function encodeRouterId(id: string): string {
  return encodeURIComponent(id).replace(/\*/g, '%2A');
}

const asString = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));

/** One entry of the router's answer (every value a string) as a typed record. */
export function parseRouterRecord(raw: unknown): RouterDnsRecord | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const id = asString(r['.id']);
  if (!id) return undefined;
  const record: RouterDnsRecord = {
    id,
    name: asString(r.name) ?? '',
    type: asString(r.type) || 'A',
    disabled: asString(r.disabled) === 'true' || asString(r.disabled) === 'yes',
  };
  const address = asString(r.address);
  const ttl = asString(r.ttl);
  const comment = asString(r.comment);
  if (address !== undefined) record.address = address;
  if (ttl !== undefined) record.ttl = ttl;
  if (comment !== undefined) record.comment = comment;
  return record;
}

/** A client for one router. Holds no connection between requests. */
export class RouterOsClient {
  /** The router's address without credentials, for messages. */
  readonly url: string;
  /** The router's host (and port, when not the default), for the screen: "10.0.0.1". */
  readonly label: string;
  readonly user: string;
  readonly timeoutMs: number;
  readonly insecureSkipVerify: boolean;
  readonly #authorization: string;
  readonly #agent: http.Agent;
  readonly #target: URL;

  constructor(options: RouterOsClientOptions) {
    const problem = routerUrlProblem(options.url);
    // The URL check already refuses credentials in the URL, so quoting it here is safe.
    if (problem) throw new Error(`router url ${JSON.stringify(options.url)} ${problem}`);
    this.#target = new URL(options.url);
    this.url = this.#target.origin;
    this.label = this.#target.host;
    this.user = options.user;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ROUTER_TIMEOUT_MS;
    this.insecureSkipVerify = options.insecureSkipVerify ?? false;
    this.#authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`, 'utf8').toString('base64')}`;
    this.#agent =
      this.#target.protocol === 'https:'
        ? new https.Agent({ keepAlive: false, ca: options.ca, rejectUnauthorized: !this.insecureSkipVerify })
        : new http.Agent({ keepAlive: false });
  }

  /** The static entries, filtered by name and type (type A also matches entries without a type). */
  async list(filter: { name?: string; type?: string } = {}): Promise<RouterDnsRecord[]> {
    const query = new URLSearchParams();
    if (filter.name !== undefined) query.set('name', filter.name);
    // Why not `type=A` on the wire: RouterOS omits `type` on A entries, so the router's filter would
    // miss them (the external-dns MikroTik webhook leaves it out for A too). Filter here instead.
    if (filter.type !== undefined && filter.type !== 'A') query.set('type', filter.type);
    const search = query.toString();
    const path = search ? `${DNS_STATIC_PATH}?${search}` : DNS_STATIC_PATH;
    const answer = await this.request('GET', path);
    if (!Array.isArray(answer)) throw this.protocolError('GET', path, 'a list');
    const records = answer.map((raw) => parseRouterRecord(raw));
    if (records.some((r) => !r)) throw this.protocolError('GET', path, 'entries with an .id');
    return (records as RouterDnsRecord[]).filter((r) => filter.type === undefined || r.type === filter.type);
  }

  /** Creates one entry (PUT) and returns it as the router stored it. */
  async add(record: NewRouterDnsRecord): Promise<RouterDnsRecord> {
    const body: Record<string, string> = { name: record.name, type: record.type, address: record.address, comment: record.comment };
    if (record.ttl !== undefined) body.ttl = record.ttl;
    const created = parseRouterRecord(await this.request('PUT', DNS_STATIC_PATH, body));
    if (!created) throw this.protocolError('PUT', DNS_STATIC_PATH, 'the created entry');
    return created;
  }

  /** Changes fields of the entry with this `.id` (PATCH) and returns it as stored. */
  async update(id: string, fields: RouterDnsRecordUpdate): Promise<RouterDnsRecord> {
    const path = `${DNS_STATIC_PATH}/${encodeRouterId(id)}`;
    const body: Record<string, string> = {};
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) body[key] = String(value);
    const updated = parseRouterRecord(await this.request('PATCH', path, body));
    if (!updated) throw this.protocolError('PATCH', path, 'the updated entry');
    return updated;
  }

  /** Removes the entry with this `.id` (DELETE). */
  async remove(id: string): Promise<void> {
    await this.request('DELETE', `${DNS_STATIC_PATH}/${encodeRouterId(id)}`);
  }

  /** How many static entries the router has (the runbook's `/ip dns static print count-only`). */
  async count(): Promise<number> {
    return (await this.list()).length;
  }

  private protocolError(method: string, path: string, expected: string): RouterError {
    return new RouterError(`the router at ${this.url} answered ${method} ${path} without ${expected}`, 'protocol', method, path);
  }

  /** One request with the client's timeout; resolves to the parsed JSON answer (undefined when empty). */
  private request(method: string, path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const signal = AbortSignal.timeout(this.timeoutMs);
    const where = `${method} ${this.url}${path}`;
    const fail = (message: string, kind: RouterError['kind'], status?: number, detail?: string) => new RouterError(message, kind, method, path, status, detail);

    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        onError(new Error('timeout'));
        req.destroy();
      };
      const settle = (error: RouterError | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value);
      };
      const onError = (err: NodeJS.ErrnoException) => {
        if (signal.aborted) return settle(fail(`the router did not answer ${where} within ${this.timeoutMs} ms`, 'timeout'));
        const code = err.code ?? '';
        if (TLS_ERROR_CODES.has(code)) {
          return settle(fail(`TLS verification of ${this.url} failed: ${err.message} (set caFile to the router's CA, or insecureSkipVerify: true)`, 'tls'));
        }
        settle(fail(`could not reach the router at ${this.url} (${where}): ${code || err.message}`, 'connect'));
      };

      const mod = this.#target.protocol === 'https:' ? https : http;
      const req = mod.request(
        {
          protocol: this.#target.protocol,
          hostname: this.#target.hostname.replace(/^\[|\]$/g, ''),
          port: this.#target.port || undefined,
          path,
          method,
          agent: this.#agent,
          signal,
          headers: {
            authorization: this.#authorization,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy();
              settle(fail(`the router's answer to ${where} is larger than ${MAX_BODY_BYTES} bytes`, 'protocol', res.statusCode));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', onError);
          res.on('close', () => {
            if (!res.complete) onError(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
          });
          res.on('end', () => settle(...this.answer(res, Buffer.concat(chunks).toString('utf8'), where, fail)));
        },
      );
      req.on('error', onError);
      // The signal alone ends a request that is still waiting for headers; this also ends one whose
      // answer stalls halfway, whatever the socket does.
      signal.addEventListener('abort', onAbort, { once: true });
      req.end(payload);
    });
  }

  /** Turns one complete answer into a value or a RouterError. */
  private answer(
    res: http.IncomingMessage,
    text: string,
    where: string,
    fail: (message: string, kind: RouterError['kind'], status?: number, detail?: string) => RouterError,
  ): [RouterError | undefined, unknown?] {
    const status = res.statusCode ?? 0;
    let json: unknown;
    let parsed = false;
    if (text.trim()) {
      try {
        json = JSON.parse(text);
        parsed = true;
      } catch {
        // Not JSON: a proxy's page, or a router too old for REST. Reported below.
      }
    }
    if (status === 401) return [fail(`the router refused the credentials of user ${this.user} (401 at ${this.url})`, 'auth', status)];
    if (status >= 200 && status < 300) {
      if (text.trim() && !parsed) return [fail(`the router answered ${where} with something that is not JSON`, 'protocol', status)];
      return [undefined, json];
    }
    const body = parsed && json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
    const code = asString(body.error) ?? String(status);
    const message = asString(body.message) ?? res.statusMessage ?? '';
    const detail = asString(body.detail);
    const said = [`${code} ${message}`.trim(), detail].filter(Boolean).join(': ');
    const extra = parsed ? '' : oneLine(text);
    return [fail(`router said: ${said}${extra ? ` (${extra})` : ''}`, 'http', status, detail)];
  }
}

function oneLine(text: string): string {
  const line = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/**
 * A client from `dns.routeros`: the password read from its environment variable or file, the CA
 * from its file. Errors name the variable or the file, never the password. A plain `http://` URL
 * is refused unless `allowInsecureHttp` says otherwise (the config's schema refuses it first).
 */
export function routerOsClientFromConfig(
  config: RouterOsConfig,
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): RouterOsClient {
  // Before the password is read: it must not even be loaded for a router it would go to in clear.
  if (refusedHttp(config)) throw new Error(`dns.routeros.url: ${INSECURE_HTTP_PROBLEM}`);
  let password: string;
  if (config.passwordEnv) {
    const value = env[config.passwordEnv];
    if (value === undefined) throw new Error(`dns.routeros.passwordEnv: environment variable ${config.passwordEnv} is not set`);
    password = value;
  } else if (config.passwordFile) {
    try {
      password = readFile(config.passwordFile).replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(`dns.routeros.passwordFile: cannot read ${config.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  } else {
    throw new Error('dns.routeros: set passwordEnv or passwordFile');
  }
  let ca: string | undefined;
  if (config.caFile) {
    try {
      ca = readFile(config.caFile);
    } catch (err) {
      throw new Error(`dns.routeros.caFile: cannot read ${config.caFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  }
  return new RouterOsClient({
    url: config.url,
    user: config.user,
    password,
    ca,
    insecureSkipVerify: config.insecureSkipVerify,
    timeoutMs: config.timeoutMs,
  });
}

/** One request of the add-records fix, exactly as it is sent. */
export interface PlannedRouterRequest {
  method: 'PUT';
  path: typeof DNS_STATIC_PATH;
  body: { name: string; type: 'A' | 'AAAA'; address: string; comment: string };
}

/**
 * The comment on every record drdeck adds: `drdeck: added <when>`. A Date is written as its UTC
 * time to the second; a string that already starts with `drdeck:` is used as it is.
 */
export function drdeckComment(when: Date | string): string {
  if (typeof when === 'string') return when.startsWith(DRDECK_COMMENT_PREFIX) ? when : `${DRDECK_COMMENT_PREFIX} added ${when}`;
  return `${DRDECK_COMMENT_PREFIX} added ${when.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/**
 * The PUTs that add the missing records, one per address (as the external-dns MikroTik webhook
 * does), each tagged as drdeck's. Pure. Names are lowercased without the trailing dot; duplicates
 * are dropped; an address of the wrong family for its type is a programming error and throws.
 */
export function plannedRecords(
  missing: ReadonlyArray<{ name: string; type: 'A' | 'AAAA'; address: string }>,
  commentTag: Date | string,
): PlannedRouterRequest[] {
  const comment = drdeckComment(commentTag);
  const seen = new Set<string>();
  const planned: PlannedRouterRequest[] = [];
  for (const record of missing) {
    const name = record.name.trim().toLowerCase().replace(/\.$/, '');
    const address = record.address.trim().toLowerCase();
    const family = isIP(address);
    if (family !== (record.type === 'A' ? 4 : 6))
      throw new Error(`${record.type} ${name}: ${JSON.stringify(record.address)} is not an IPv${record.type === 'A' ? 4 : 6} address`);
    const key = `${name} ${record.type} ${address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    planned.push({ method: 'PUT', path: DNS_STATIC_PATH, body: { name, type: record.type, address, comment } });
  }
  return planned;
}

/** True for entries drdeck added (its comment prefix), the ones it may find and remove again. */
export function isDrdeckRecord(record: { comment?: string }): boolean {
  return (record.comment ?? '').startsWith(DRDECK_COMMENT_PREFIX);
}

/**
 * A value as the RouterOS terminal reads it: bare when it is one plain word, otherwise in double
 * quotes with `\`, `"` and `$` (variable substitution) escaped.
 */
export function routerOsQuote(value: string): string {
  if (/^[A-Za-z0-9_.:*-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** The RouterOS terminal command that adds the same entry as a planned PUT (the seed's runbook form). */
export function routerOsAddCommand(request: PlannedRouterRequest): string {
  const { name, type, address, comment } = request.body;
  return `/ip dns static add name=${routerOsQuote(name)} type=${type} address=${routerOsQuote(address)} comment=${routerOsQuote(comment)}`;
}
