/**
 * A CONTRACT server for RouterOS v7's REST API at `/rest/ip/dns/static`. It is not a MikroTik and
 * not an emulator of one: it implements the behaviour documented in ../../../shared/reference/facts.md
 * (and MikroTik's REST API page), so drdeck's client can be tested against that contract:
 *
 * - Basic auth; wrong credentials are 401 with `{error: 401, message: "Unauthorized"}`.
 * - GET lists (an array of objects, every value a string), filtered by query parameters matched
 *   exactly against the stored values; GET `/<.id>` gives one entry.
 * - PUT creates from a JSON body `{name, type, address, ttl, comment}` and answers the created entry,
 *   with an `.id` like `*1A`; a second entry with the same name, type and address is
 *   400 `failure: entry already exists`.
 * - PATCH `/<.id>` updates, DELETE `/<.id>` removes (204); an unknown `.id` is 404. The `*` of the id
 *   is accepted raw or as `%2A` (facts.md says to send `%2A`; the raw paths are recorded so a test
 *   can check what was sent).
 * - Errors are `{error, message, detail}` with the HTTP status of `error`.
 * - Like RouterOS's own print, an A entry is stored and answered without a `type` property.
 *
 * Modelled, not documented (so a test can rely on the client coping, not on the router agreeing):
 * the wording of details other than "entry already exists", the rejection of non-string values,
 * and the exact default fields (`ttl: "1d"`, `disabled`/`dynamic: "false"`).
 *
 * Test hooks: `stall` holds the next requests without an answer (before the headers, or after half
 * a body); `failNext` answers the next request with an error of the test's choosing.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

const BASE = '/rest/ip/dns/static';
const KNOWN_FIELDS = new Set([
  'name',
  'type',
  'address',
  'ttl',
  'comment',
  'disabled',
  'cname',
  'text',
  'regexp',
  'match-subdomain',
  'address-list',
  'forward-to',
]);

export type StoredEntry = Record<string, string>;

export interface ContractServerOptions {
  user: string;
  password: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Entries present at start, without `.id` (given in order, from `*1`). */
  entries?: Array<Record<string, string>>;
}

export interface SeenRequest {
  method: string;
  /** The path and query exactly as sent, before any decoding. */
  rawUrl: string;
  authorized: boolean;
  body?: unknown;
}

export class RouterOsContractServer {
  readonly requests: SeenRequest[] = [];
  /** Hold requests without answering: `headers` sends nothing, `body` sends the headers and half a body. */
  stall: 'headers' | 'body' | undefined;
  failNext: { status: number; message: string; detail?: string } | undefined;
  private readonly entries: StoredEntry[] = [];
  private nextId = 0x1a;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly expectedAuth: string;
  private port = 0;

  constructor(private readonly options: ContractServerOptions) {
    this.expectedAuth = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
    let seedId = 1;
    for (const entry of options.entries ?? []) this.entries.push(this.stored(`*${(seedId++).toString(16).toUpperCase()}`, entry));
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttpServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A TLS handshake the client refuses surfaces here; it is the test's point, not a server fault.
    this.server.on('tlsClientError', () => {});
  }

  /** Listens on a free loopback port; resolves to the URL drdeck's config takes. */
  async start(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** What the table holds now, as the router would answer it. */
  get table(): StoredEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private stored(id: string, fields: Record<string, string>): StoredEntry {
    const entry: StoredEntry = { '.id': id, ...fields };
    // RouterOS prints an A entry without its type.
    if (entry.type === 'A') delete entry.type;
    entry.ttl ??= '1d';
    entry.disabled ??= 'false';
    entry.dynamic ??= 'false';
    return entry;
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  private error(res: ServerResponse, status: number, message: string, detail?: string): void {
    if (status === 401) res.setHeader('www-authenticate', 'Basic realm="RouterOS"');
    this.send(res, status, detail === undefined ? { error: status, message } : { error: status, message, detail });
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const text = await this.readBody(req);
    const authorized = req.headers.authorization === this.expectedAuth;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    this.requests.push({ method: req.method ?? '', rawUrl, authorized, body });

    if (this.stall === 'headers') return; // never answers; the client must give up by itself
    if (this.stall === 'body') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{".id":"*1",');
      return;
    }
    if (!authorized) return this.error(res, 401, 'Unauthorized');
    if (this.failNext) {
      const { status, message, detail } = this.failNext;
      this.failNext = undefined;
      return this.error(res, status, message, detail);
    }

    const url = new URL(rawUrl, 'http://router');
    const path = decodeURIComponent(url.pathname);
    if (path !== BASE && !path.startsWith(`${BASE}/`)) return this.error(res, 404, 'Not Found');
    const id = path === BASE ? undefined : path.slice(BASE.length + 1);
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      return this.error(res, 400, 'Bad Request', 'JSON object expected');
    }
    const fields = (body ?? {}) as Record<string, unknown>;
    const bad = Object.entries(fields).find(([, v]) => typeof v !== 'string');
    if (bad) return this.error(res, 400, 'Bad Request', `value of ${bad[0]} must be a string`);
    const unknown = Object.keys(fields).find((k) => !KNOWN_FIELDS.has(k));
    if (unknown) return this.error(res, 400, 'Bad Request', `unknown parameter ${unknown}`);
    const strings = fields as Record<string, string>;

    switch (req.method) {
      case 'GET': {
        if (id !== undefined) {
          const entry = this.entries.find((e) => e['.id'] === id);
          return entry ? this.send(res, 200, entry) : this.error(res, 404, 'Not Found', 'no such item');
        }
        const filters = [...url.searchParams];
        return this.send(
          res,
          200,
          this.entries.filter((e) => filters.every(([k, v]) => e[k] === v)),
        );
      }
      case 'PUT': {
        if (id !== undefined) return this.error(res, 400, 'Bad Request', 'no such command');
        const problem = this.invalid(strings);
        if (problem) return this.error(res, 400, 'Bad Request', problem);
        const entry = this.stored(`*${(this.nextId++).toString(16).toUpperCase()}`, strings);
        if (this.duplicate(entry)) return this.error(res, 400, 'Bad Request', 'failure: entry already exists');
        this.entries.push(entry);
        return this.send(res, 201, entry);
      }
      case 'PATCH': {
        const index = this.entries.findIndex((e) => e['.id'] === id);
        if (id === undefined || index < 0) return this.error(res, 404, 'Not Found', 'no such item');
        const merged = { ...this.entries[index], ...strings };
        if (merged.type === 'A') delete merged.type;
        const problem = this.invalid(merged);
        if (problem) return this.error(res, 400, 'Bad Request', problem);
        if (this.duplicate(merged, index)) return this.error(res, 400, 'Bad Request', 'failure: entry already exists');
        this.entries[index] = merged;
        return this.send(res, 200, merged);
      }
      case 'DELETE': {
        const index = this.entries.findIndex((e) => e['.id'] === id);
        if (id === undefined || index < 0) return this.error(res, 404, 'Not Found', 'no such item');
        this.entries.splice(index, 1);
        return this.send(res, 204);
      }
      default:
        return this.error(res, 400, 'Bad Request', 'no such command');
    }
  }

  private invalid(entry: Record<string, string>): string | undefined {
    if (!entry.name) return 'missing value(s) of argument(s) name';
    const type = entry.type ?? 'A';
    if (type === 'A' && isIP(entry.address ?? '') !== 4) return 'invalid value for argument address';
    if (type === 'AAAA' && isIP(entry.address ?? '') !== 6) return 'invalid value for argument address';
    return undefined;
  }

  private duplicate(entry: StoredEntry, except = -1): boolean {
    return this.entries.some((e, i) => i !== except && e.name === entry.name && (e.type ?? 'A') === (entry.type ?? 'A') && e.address === entry.address);
  }
}
