/**
 * API discovery: whether the server serves a kind, and at which version. Each kind has the versions
 * drdeck understands (src/kinds.ts); the server's group says which it serves, preferred first
 * (`/apis/<group>`), and each version's resource list whether the kind is among them. The first
 * version that is both wins: an older Flux serving HelmRelease at v2beta2 only is read at v2beta2.
 * A CRD that is not installed (or served at no version drdeck reads) is a state to show, not an error.
 */
import { ClusterError } from '../cluster.js';
import { KINDS, type KindKey } from '../kinds.js';
import type { ApiClient } from './http.js';
import { groupVersionPath, resourceName } from './resources.js';

export type Availability = { served: true; version: string } | { served: false; detail: string };

interface ResourceList {
  resources?: Array<{ name?: string }>;
}

interface ApiGroup {
  versions?: Array<{ version?: string }>;
  preferredVersion?: { version?: string };
}

/**
 * Answers per group and group/version, shared by the watchers of one cluster. Why cached for a few
 * seconds: 17 watchers start together and ask about 8 groups and their versions; one request each is
 * enough.
 */
export class Discovery {
  private readonly cache = new Map<string, { at: number; answer: Promise<unknown> }>();
  /** The version each kind was last found served at: what reads and writes use between lookups. */
  private readonly found = new Map<KindKey, string>();

  constructor(
    private readonly api: () => Promise<ApiClient>,
    private readonly ttlMs = 5_000,
  ) {}

  /** Whether `kind` is served, and at which version; rejects with a ClusterError when the server cannot be asked. */
  async availability(kind: KindKey): Promise<Availability> {
    const { group, versions, plural } = KINDS[kind];
    // The core group has one version, v1: nothing to choose.
    const order = group ? await this.groupVersions(group) : [...versions];
    if (!order) return this.notServed(kind, `${resourceName(kind)}: CRD not installed`);
    const candidates = order.filter((v) => versions.includes(v));
    if (!candidates.length) {
      return this.notServed(kind, `${group} is served at ${order.join(', ')}; drdeck reads ${versions.join(', ')}`);
    }
    for (const version of candidates) {
      if ((await this.resources(group, version))?.has(plural)) {
        this.found.set(kind, version);
        return { served: true, version };
      }
    }
    return this.notServed(kind, `${resourceName(kind)} is not served by ${group ? `${group}/` : ''}${candidates[0]} (CRD not installed)`);
  }

  /**
   * The version to read or write `kind` at: the one last found served, else the one discovery finds
   * now, else drdeck's own. Why the last found without asking again: the watchers keep it current
   * (they look again after every 404), and a write should not wait for discovery.
   */
  async version(kind: KindKey): Promise<string> {
    const info = KINDS[kind];
    if (info.versions.length === 1) return info.version;
    const known = this.found.get(kind);
    if (known) return known;
    const availability = await this.availability(kind);
    return availability.served ? availability.version : info.version;
  }

  /** Drops what is known about `kind`'s group and its versions (after a 404 on it). */
  forget(kind: KindKey): void {
    const { group, versions } = KINDS[kind];
    this.found.delete(kind);
    if (group) this.cache.delete(`/apis/${group}`);
    for (const version of versions) this.cache.delete(groupVersionPath(group, version));
  }

  private notServed(kind: KindKey, detail: string): Availability {
    this.found.delete(kind);
    return { served: false, detail };
  }

  /** The versions the server serves of a group, its preferred one first; undefined when it serves none. */
  private groupVersions(group: string): Promise<string[] | undefined> {
    return this.cached(`/apis/${group}`, (body: ApiGroup) => {
      const all = (body.versions ?? []).map((v) => v.version ?? '').filter(Boolean);
      const preferred = body.preferredVersion?.version;
      return preferred && all.includes(preferred) ? [preferred, ...all.filter((v) => v !== preferred)] : all;
    });
  }

  /** The resource names a group/version serves; undefined when the server does not serve it. */
  private resources(group: string, version: string): Promise<Set<string> | undefined> {
    return this.cached(groupVersionPath(group, version), (list: ResourceList) => new Set((list.resources ?? []).map((r) => r.name ?? '')));
  }

  /** One GET per path and TTL, shared by every caller; a 404 answers undefined, a failure is not kept. */
  private cached<B, T>(path: string, read: (body: B) => T): Promise<T | undefined> {
    const hit = this.cache.get(path);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.answer as Promise<T | undefined>;
    const answer = this.fetch(path, read);
    this.cache.set(path, { at: Date.now(), answer });
    answer.catch(() => {
      if (this.cache.get(path)?.answer === answer) this.cache.delete(path);
    });
    return answer;
  }

  private async fetch<B, T>(path: string, read: (body: B) => T): Promise<T | undefined> {
    const api = await this.api();
    try {
      return read(await api.json<B>({ method: 'GET', path }));
    } catch (error) {
      if (error instanceof ClusterError && error.code === 404) return undefined;
      throw error;
    }
  }
}
