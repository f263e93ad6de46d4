/**
 * @kubernetes/client-node API clients for the test cluster, with a timeout on every request.
 */
import {
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type Middleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/** Default per-request timeout: generous for a loaded 2-core machine, short enough to fail a hung test. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** A middleware that gives every request an AbortSignal timeout (client-node 1.x sends `getSignal()` to fetch). */
export function timeoutMiddleware(ms: number = REQUEST_TIMEOUT_MS): Middleware {
  return {
    pre: async (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(ms));
      return context;
    },
    post: async (context: ResponseContext) => context,
  };
}

/** Loads a kubeconfig file (the test cluster writes real files, so loading is exercised end to end). */
export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Builds a generated API client (e.g. `CoreV1Api`) for a kubeconfig, with a timeout on every request. */
export function apiClient<T>(kubeconfig: string | KubeConfig, Api: new (config: Configuration) => T, timeoutMs: number = REQUEST_TIMEOUT_MS): T {
  const kc = typeof kubeconfig === 'string' ? loadKubeConfig(kubeconfig) : kubeconfig;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [timeoutMiddleware(timeoutMs)],
  });
  return new Api(config);
}

/** The HTTP status of a client-node error (an `ApiException`), or undefined for other errors. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A one-line description of a client-node error: the API server's Status message when there is one. */
export function errorText(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return `HTTP ${statusOf(error)}: ${status.message}`;
    } catch {
      // not a Status
    }
  }
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
