/** `drdeck` on a kubeconfig. */
import { UsageError } from './errors.js';

export async function runLive(_opts: { context?: string; kubeconfig?: string; config?: string; readOnly?: boolean }): Promise<number> {
  throw new UsageError('live clusters are not available in this build yet; run `drdeck demo` (or `npm run demo`)');
}
