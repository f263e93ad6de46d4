/**
 * drdeck's configuration: every field optional, every default from the seed
 * (../shared/seed/cluster-rebuild-issues.md). Validated with zod so a bad file gets an error that
 * names the field and the problem.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { INSECURE_HTTP_PROBLEM, refusedHttp, routerosConfigSchema } from '../dns/routeros.js';
import { timelineConfigSchema } from '../timeline/phases.js';

/** The mover sections a VolSync ReplicationDestination's spec may have; the seed uses the Kopia fork's `kopia`. */
export const VOLSYNC_MOVERS = ['kopia', 'restic', 'rclone', 'rsync', 'rsyncTLS'] as const;
export type VolsyncMover = (typeof VOLSYNC_MOVERS)[number];

const name = z.string().min(1);
/** The scheme's last address part: an IPv4 octet. */
const hostPart = z.number().int().min(0, 'must be 0-255 (the last part of an IPv4 address)').max(255, 'must be 0-255 (the last part of an IPv4 address)');
/** `namespace/name`, as kubectl prints it. */
const namespacedName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be "namespace/name"');

export const configSchema = z
  .object({
    flux: z
      .object({
        /** The namespace Flux itself runs in; its objects' creation time is t0 of the timeline. */
        namespace: name.default('flux-system'),
        /** The Kustomizations the seed's dr-1-check-readiness.sh waits for. */
        essential: z.array(name).default(['flux-system', 'cert-manager', 'external-secrets', 'ceph-csi', 'volsync']),
        /** An object not Ready for longer than this is called stuck. */
        stuckAfterMinutes: z.number().positive().default(10),
      })
      .strict()
      .prefault({}),
    foundation: z
      .object({
        storageClasses: z.array(name).default(['csi-cephfs-config-sc']),
        volumeSnapshotClass: name.default('csi-cephfs-config-snapclass'),
        cephCsiNamespace: name.default('ceph-csi'),
        minCephCsiPods: z.number().int().nonnegative().default(3),
        /** The VolSync operator Deployment, as namespace/name. */
        volsyncOperator: namespacedName.default('volsync-system/volsync'),
      })
      .strict()
      .prefault({}),
    kopia: z
      .object({
        /** The Kopia repository PVC. The seed's scripts disagree (default vs volsync-system): one value here. */
        pvc: namespacedName.default('default/kopia'),
        /** The CephFS volumeHandle saved in Git, given literally... */
        savedVolumeHandle: z.string().min(1).optional(),
        /** ...or read from the Secret manifest saved in Git (kopia-repository-subvolume-secret.yaml). */
        handleSecretFile: z.string().min(1).optional(),
        /** The key in that Secret's stringData or data that holds the handle. */
        handleSecretKey: name.default('volumeHandle'),
        /** Set by the loader, not in a file: why the handle is not known (the Secret manifest is SOPS-encrypted). */
        handleUnknown: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    restores: z
      .object({
        /** Namespaces to look for ReplicationDestinations in; empty means all. */
        namespaces: z.array(name).default([]),
        /** How many RDs the rebuild should have (the seed restores 22 app config PVCs). */
        expectedCount: z.number().int().nonnegative().default(22),
        /** The VolSync movers the backups are made with (the seed: the Kopia fork's); an RD with another is flagged. */
        movers: z.array(z.enum(VOLSYNC_MOVERS)).min(1).default(['kopia']),
      })
      .strict()
      .prefault({}),
    gateways: z
      .object({
        /** The Gateways that must be Programmed; empty means every Gateway. */
        names: z.array(namespacedName).default(['network/gateway-external', 'network/gateway-internal']),
        ciliumOperator: namespacedName.default('kube-system/cilium-operator'),
        /** The Flux Kustomization that should health-check the Gateways (seed issue 7). */
        ciliumKustomization: namespacedName.default('flux-system/cilium'),
      })
      .strict()
      .prefault({}),
    loadbalancers: z
      .object({
        annotation: name.default('lbipam.cilium.io/ips'),
        /** The allocation scheme: fd00:101::1b:XXX and 10.101.27.XXX with the same XXX. */
        ipv4Prefix: z.string().default('10.101.27.'),
        ipv6Prefix: z.string().default('fd00:101::1b:'),
        /** The range of XXX. Why 0-255: XXX is the last octet of the IPv4 address (and, as written, the last IPv6 group). */
        hostMin: hostPart.default(100),
        hostMax: hostPart.default(255),
      })
      .strict()
      // Why at load time: every evaluation walks hostMin..hostMax, and a scheme that spells no address proposes garbage.
      .superRefine((lb, ctx) => {
        // A host part out of range is already named; the rest would only repeat it.
        if (![lb.hostMin, lb.hostMax].every((n) => hostPart.safeParse(n).success)) return;
        if (lb.hostMin > lb.hostMax) ctx.addIssue({ code: 'custom', path: ['hostMax'], message: `must not be below hostMin (${lb.hostMin})` });
        for (const [field, family, example] of [
          ['ipv4Prefix', 4, '10.101.27.'],
          ['ipv6Prefix', 6, 'fd00:101::1b:'],
        ] as const) {
          const bad = [lb.hostMin, lb.hostMax].map((n) => `${lb[field]}${n}`).find((address) => address.includes('%') || isIP(address) !== family);
          if (bad)
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: `"${bad}" is no IPv${family} address: give the address up to its last part, e.g. "${example}"`,
            });
        }
      })
      .prefault({}),
    dns: z
      .object({
        /** Zones drdeck checks; published names outside them are ignored. */
        zones: z.array(name).default(['sulibot.com']),
        /** Resolvers to ask, `host` or `host:port`. None: the DNS checks say "not configured". */
        servers: z.array(name).default([]),
        hostnameAnnotation: name.default('external-dns.alpha.kubernetes.io/hostname'),
        intervalSeconds: z.number().positive().default(30),
        timeoutMs: z.number().int().positive().default(2000),
        /** The router's REST API (RouterOS v7): its record count, and the dns-add-records fix. */
        routeros: routerosConfigSchema.optional(),
      })
      .strict()
      // Why here and not in routerosConfigSchema: that one says what a router URL may look like; whether
      // drdeck will send a password over plain http is the config's policy, refused at load time.
      .superRefine((dns, ctx) => {
        if (dns.routeros && refusedHttp(dns.routeros)) ctx.addIssue({ code: 'custom', path: ['routeros', 'url'], message: INSECURE_HTTP_PROBLEM });
      })
      .prefault({}),
    /** Expected phase durations of the recovery (defaults: the seed's timeline table). */
    timeline: timelineConfigSchema,
    /** The GitOps repository checkout (relative to this file's folder): the Git view's checklist and file:line links. */
    repo: z.string().min(1).optional(),
    /** Timeout of every request to the API server. */
    requestTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The seed's defaults, as a config file with nothing in it gives them. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
