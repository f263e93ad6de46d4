/** The YAML view's text of one object: as the server has it, less what must not or need not be shown. Pure. */
import { stringify } from 'yaml';
import type { KubeObject } from '../cluster.js';
import type { KindKey } from '../kinds.js';
import { withoutLastApplied } from '../records.js';
import { sanitizeValue, VIEW_LIMITS } from '../text/sanitize.js';

/** Stands in for managedFields while the YAML is written, then becomes the folded line. */
const FOLDED = 'DRDECK_FOLDED_MANAGED_FIELDS_5b1e';

/**
 * The object as YAML lines: `metadata.managedFields` folded to one line ("managedFields: 4 entries
 * (folded)"), `kubectl.kubernetes.io/last-applied-configuration` dropped (a second copy of the
 * manifest, a Secret's data on a Secret), and a Secret reduced to its metadata and type whatever
 * was read. Strings are capped and their control characters escaped (VIEW_LIMITS), so a hostile
 * value cannot forge the screen.
 */
export function objectYamlLines(kind: KindKey, object: KubeObject): string[] {
  const plain = withoutLastApplied(object);
  const { managedFields, ...metadata } = (plain.metadata ?? {}) as KubeObject['metadata'];
  const count = Array.isArray(managedFields) ? managedFields.length : 0;
  // Kept where the server puts it (after the other metadata), as `kubectl get -o yaml` shows it.
  const meta = count ? { ...metadata, managedFields: FOLDED } : metadata;
  const shown: Record<string, unknown> =
    kind === 'secrets'
      ? { apiVersion: plain.apiVersion ?? 'v1', kind: 'Secret', metadata: meta, ...(plain.type !== undefined ? { type: plain.type } : {}) }
      : { ...plain, metadata: meta };
  const text = stringify(sanitizeValue(shown, VIEW_LIMITS), { lineWidth: 0 });
  const lines = text.replace(/\n$/, '').split('\n');
  const out = lines.map((line) =>
    line.includes(FOLDED) ? line.replace(/managedFields: .*$/, `managedFields: ${count} ${count === 1 ? 'entry' : 'entries'} (folded)`) : line,
  );
  if (kind === 'secrets') out.push('# data: not shown (drdeck reads Secrets as metadata only, never their data)');
  return out;
}
