/**
 * "Can I?": SelfSubjectAccessReview, so a fix can say before its key is pressed that it "needs patch
 * on replicationdestinations.volsync.backube in default". Answers are cached for a minute: a screen
 * asks about the same few verbs on every render, and RBAC rarely changes under an operator's feet.
 */
import type { AccessAnswer } from '../cluster.js';
import type { ApiClient } from './http.js';

export type { AccessAnswer } from '../cluster.js';

interface Review {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/**
 * "patch on replicationdestinations.volsync.backube in default"; `resource` may name a subresource
 * (`replicationdestinations/status`).
 */
export function describeNeed(verb: string, resource: string, group: string, namespace?: string): string {
  const [plural, sub] = resource.split('/');
  const name = `${plural}${sub ? `/${sub}` : ''}${group ? `.${group}` : ''}`;
  return `${verb} on ${name}${namespace ? ` in ${namespace}` : ''}`;
}

/** SelfSubjectAccessReviews with a short cache. */
export class AccessReview {
  private readonly cache = new Map<string, { at: number; answer: Promise<AccessAnswer> }>();

  constructor(
    private readonly api: () => Promise<ApiClient>,
    private readonly ttlMs = 60_000,
  ) {}

  /**
   * Whether the kubeconfig's user may `verb` the resource (in `namespace`, on `name` when given).
   * Rejects with a ClusterError when the server cannot be asked; failures are not cached.
   */
  canI(verb: string, resource: string, group: string, namespace?: string, name?: string): Promise<AccessAnswer> {
    const key = JSON.stringify([verb, resource, group, namespace ?? '', name ?? '']);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.answer;
    const answer = this.ask(verb, resource, group, namespace, name);
    this.cache.set(key, { at: Date.now(), answer });
    answer.catch(() => {
      if (this.cache.get(key)?.answer === answer) this.cache.delete(key);
    });
    return answer;
  }

  private async ask(verb: string, resource: string, group: string, namespace?: string, name?: string): Promise<AccessAnswer> {
    const [plural, subresource] = resource.split('/');
    const api = await this.api();
    const review = await api.json<Review>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb, group, resource: plural, subresource, namespace, name } },
      },
    });
    const status = review.status ?? {};
    const reason = status.reason || status.evaluationError || undefined;
    return { allowed: status.allowed === true && status.denied !== true, need: describeNeed(verb, resource, group, namespace), ...(reason ? { reason } : {}) };
  }
}
