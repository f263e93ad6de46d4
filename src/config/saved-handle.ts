/**
 * The Kopia repository's volumeHandle as saved in Git: read from the Secret manifest that
 * `kopia.handleSecretFile` names (stringData, or base64 data). Only the handle is kept; nothing else
 * of the Secret is returned or printed.
 *
 * A GitOps repository usually keeps its Secrets SOPS-encrypted. SOPS leaves the keys readable and
 * writes each value as `ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`, with its metadata under a
 * top-level `sops:` key. Read as a handle, that ciphertext would never match the PV's and the
 * Kopia panel would call a healthy repository "wrong subvolume": so an encrypted value is not a
 * handle, and the handle is reported as not known, with what to do instead.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from './load.js';

/** What the loader puts in `config.kopia`: the handle, or why it is not known. */
export interface SavedHandle {
  savedVolumeHandle?: string;
  handleUnknown?: string;
}

/** A SOPS-encrypted value: `ENC[AES256_GCM,data:...,type:str]` (the cipher named first). */
const SOPS_VALUE = /^ENC\[[A-Z0-9_]+,data:/;

/** True when the value is SOPS ciphertext. */
export function isSopsValue(value: unknown): boolean {
  return typeof value === 'string' && SOPS_VALUE.test(value.trim());
}

/** The summary of `kopia.volume-handle` and the refusal of `kopia-reclaim` when `shown` is encrypted. */
export function encryptedHandleText(shown: string): string {
  return `encrypted: cannot verify the saved handle (${shown} is SOPS-encrypted); set kopia.savedVolumeHandle, or point kopia.handleSecretFile at a decrypted copy`;
}

type Manifest = { kind?: unknown; sops?: unknown; stringData?: Record<string, unknown>; data?: Record<string, unknown> };

/**
 * Reads the handle under `key` from the Secret manifest in `file` (`shown` is how messages name the
 * file: as the config wrote it). A document counts when its kind is Secret or when it carries SOPS
 * metadata (SOPS may have encrypted the kind itself). A plain value is the handle, even in a SOPS
 * file (its rules may leave some values in clear); a SOPS-encrypted one makes it unknown. Throws a
 * ConfigError when the file cannot be read or parsed, or holds no such key.
 */
export function readSavedHandle(file: string, key: string, shown = file): SavedHandle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`kopia.handleSecretFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let encrypted = false;
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length > 0) {
      throw new ConfigError(`kopia.handleSecretFile: ${file} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    }
    const manifest = doc.toJS() as Manifest | null;
    if (!manifest || typeof manifest !== 'object') continue;
    if (manifest.kind !== 'Secret' && manifest.sops === undefined) continue;
    for (const [value, base64] of [
      [manifest.stringData?.[key], false],
      [manifest.data?.[key], true],
    ] as const) {
      if (typeof value !== 'string' || !value.trim()) continue;
      if (isSopsValue(value)) {
        encrypted = true;
        continue;
      }
      return { savedVolumeHandle: base64 ? Buffer.from(value, 'base64').toString('utf8').trim() : value.trim() };
    }
  }
  if (encrypted) return { handleUnknown: encryptedHandleText(shown) };
  throw new ConfigError(`kopia.handleSecretFile: ${file} has no Secret with "${key}" in stringData or data`);
}
