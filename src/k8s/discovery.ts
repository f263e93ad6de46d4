/**
 * API discovery: whether the server serves a kind at the group and version drdeck reads. A CRD that
 * is not installed (or served at other versions only) is a state to show, not an error.
 */
import { ClusterError } from '../cluster.js';
import { KINDS, type KindKey } from '../kinds.js';
import type { ApiClient } from './http.js';
import { groupVersionPath, resourceName } from './resources.js';

export type Availability = { served: true } | { served: false; detail: string };

interface ResourceList {
  resources?: Array<{ name?: string }>;
}

interface ApiGroup {
  versions?: Array<{ version?: string }>;
}

/**
 * Answers per group/version, shared by the watchers of one cluster. Why cached for a few seconds:
 * 17 watchers start together and ask about 9 group/versions; one request each is enough.
 */
export class Discovery {
  private readonly cache = new Map<string, { at: number; resources: Promise<Set<string> | undefined> }>();

  constructor(
    private readonly api: () => Promise<ApiClient>,
    private readonly ttlMs = 5_000,
  ) {}

  /** Whether `kind` is served; rejects with a ClusterError when the server cannot be asked. */
  async availability(kind: KindKey): Promise<Availability> {
    const { group, version, plural } = KINDS[kind];
    const resources = await this.resources(group, version);
    if (resources?.has(plural)) return { served: true };
    if (resources) return { served: false, detail: `${resourceName(kind)} is not served by ${group}/${version} (CRD not installed)` };
    const others = await this.versionsOf(group);
    if (others.length) return { served: false, detail: `${group}/${version} is not served (the server has ${others.join(', ')})` };
    return { served: false, detail: `${resourceName(kind)}: CRD not installed` };
  }

  /** Drops what is known about `kind`'s group/version (after a 404 on it). */
  forget(kind: KindKey): void {
    const { group, version } = KINDS[kind];
    this.cache.delete(groupVersionPath(group, version));
  }

  private resources(group: string, version: string): Promise<Set<string> | undefined> {
    const path = groupVersionPath(group, version);
    const cached = this.cache.get(path);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.resources;
    const resources = this.fetchResources(path);
    this.cache.set(path, { at: Date.now(), resources });
    resources.catch(() => {
      if (this.cache.get(path)?.resources === resources) this.cache.delete(path);
    });
    return resources;
  }

  private async fetchResources(path: string): Promise<Set<string> | undefined> {
    const api = await this.api();
    try {
      const list = await api.json<ResourceList>({ method: 'GET', path });
      return new Set((list.resources ?? []).map((r) => r.name ?? ''));
    } catch (error) {
      if (error instanceof ClusterError && error.code === 404) return undefined;
      throw error;
    }
  }

  private async versionsOf(group: string): Promise<string[]> {
    if (!group) return [];
    const api = await this.api();
    try {
      const found = await api.json<ApiGroup>({ method: 'GET', path: `/apis/${group}` });
      return (found.versions ?? []).map((v) => v.version ?? '').filter(Boolean);
    } catch (error) {
      if (error instanceof ClusterError && error.code === 404) return [];
      throw error;
    }
  }
}
