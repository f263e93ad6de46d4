import assert from 'node:assert/strict';
import { EPOCH, cond, deployment, flux, gateway, runTable } from './fixtures.js';

const programmed = cond('Programmed', 'True', 'Programmed');
const waiting = cond('Programmed', 'Unknown', 'Pending', 'Waiting for controller', EPOCH);
const healthCheck = (name: string) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name, namespace: 'network' });

runTable('gateways.programmed', [
  {
    name: 'both Programmed, addresses listed',
    objects: {
      gateways: [gateway('network/gateway-external', programmed, ['10.101.27.64']), gateway('network/gateway-internal', programmed, ['fd00:101:1b::10'])],
    },
    status: 'pass',
    summary: /^2\/2 Programmed: network\/gateway-external 10\.101\.27\.64, network\/gateway-internal fd00:101:1b::10$/,
  },
  {
    name: 'seed issue 7: never reconciled',
    objects: { gateways: [gateway('network/gateway-external', waiting), gateway('network/gateway-internal', programmed, ['10.0.0.1'])] },
    status: 'fail',
    summary: /^1\/2 Programmed: network\/gateway-external never reconciled by its controller \(restart cilium-operator\)$/,
    fixes: ['gateways-restart-operator'],
  },
  {
    name: 'Unknown with an epoch time alone is never reconciled',
    objects: { gateways: [gateway('network/gateway-external', cond('Programmed', 'Unknown', '', '', EPOCH)), gateway('network/gateway-internal', programmed)] },
    status: 'fail',
    summary: /never reconciled/,
  },
  {
    name: 'Programmed False names the reason',
    objects: {
      gateways: [
        gateway('network/gateway-external', cond('Programmed', 'False', 'AddressNotAssigned', 'no IP')),
        gateway('network/gateway-internal', programmed),
      ],
    },
    status: 'fail',
    summary: /gateway-external Programmed False \(AddressNotAssigned\)/,
  },
  {
    name: 'Unknown recently, with a controller: progressing',
    objects: {
      gateways: [gateway('network/gateway-external', cond('Programmed', 'Unknown', 'Pending', 'assigning')), gateway('network/gateway-internal', programmed)],
    },
    status: 'warn',
  },
  {
    name: 'Accepted=True and no Programmed condition: accepted, not programmed yet (a warning, not "never reconciled")',
    objects: {
      gateways: [
        gateway('network/gateway-external', null, [], [cond('Accepted', 'True', 'Accepted', 'Gateway accepted')]),
        gateway('network/gateway-internal', programmed),
      ],
    },
    status: 'warn',
    summary: /^1\/2 Programmed: network\/gateway-external accepted, not programmed yet$/,
    then: (r) => assert.equal(r.evidence[0].value, 'no Programmed condition; Accepted True Accepted: Gateway accepted; no address'),
  },
  {
    name: 'Accepted=True while Programmed is still the CRD default: accepted, not programmed yet',
    objects: {
      gateways: [gateway('network/gateway-external', waiting, [], [cond('Accepted', 'True', 'Accepted')]), gateway('network/gateway-internal', programmed)],
    },
    status: 'warn',
    summary: /^1\/2 Programmed: network\/gateway-external accepted, not programmed yet$/,
  },
  {
    name: 'no conditions at all is never reconciled',
    objects: { gateways: [gateway('network/gateway-external', null), gateway('network/gateway-internal', programmed)] },
    status: 'fail',
    summary: /^1\/2 Programmed: network\/gateway-external never reconciled by its controller \(restart cilium-operator\)$/,
    then: (r) => assert.equal(r.evidence[0].value, 'no conditions; no address'),
  },
  {
    name: 'only the CRD defaults (Accepted and Programmed waiting for the controller) is never reconciled',
    objects: {
      gateways: [
        gateway('network/gateway-external', waiting, [], [cond('Accepted', 'Unknown', 'Pending', 'Waiting for controller', EPOCH)]),
        gateway('network/gateway-internal', programmed),
      ],
    },
    status: 'fail',
    summary: /never reconciled by its controller/,
  },
  {
    name: 'Accepted=False: not accepted, with the reason',
    objects: {
      gateways: [
        gateway('network/gateway-external', null, [], [cond('Accepted', 'False', 'InvalidParameters')]),
        gateway('network/gateway-internal', programmed),
      ],
    },
    status: 'fail',
    summary: /^1\/2 Programmed: network\/gateway-external not accepted \(InvalidParameters\)$/,
  },
  {
    name: 'a configured Gateway missing',
    objects: { gateways: [gateway('network/gateway-internal', programmed)] },
    status: 'fail',
    summary: /network\/gateway-external missing/,
  },
  {
    name: 'a Gateway not in the config is checked too: unprogrammed, it fails',
    objects: {
      gateways: [
        gateway('network/gateway-external', programmed, ['10.101.27.64']),
        gateway('network/gateway-internal', programmed, ['fd00:101:1b::10']),
        gateway('media/gateway-media', waiting),
      ],
    },
    status: 'fail',
    summary: /^2\/3 Programmed: media\/gateway-media never reconciled by its controller \(restart cilium-operator\)$/,
    fixes: ['gateways-restart-operator'],
    then: (r) =>
      assert.deepEqual(
        r.evidence.map((e) => `${e.namespace}/${e.name} ${e.status}`),
        ['media/gateway-media fail', 'network/gateway-external pass', 'network/gateway-internal pass'],
      ),
  },
  {
    name: 'a Gateway not in the config, Programmed: counted, passes',
    objects: {
      gateways: [
        gateway('network/gateway-external', programmed, ['10.101.27.64']),
        gateway('network/gateway-internal', programmed, ['fd00:101:1b::10']),
        gateway('media/gateway-media', programmed, ['10.101.27.70']),
      ],
    },
    status: 'pass',
    summary: /^3\/3 Programmed: network\/gateway-external 10\.101\.27\.64, network\/gateway-internal fd00:101:1b::10 and 1 more$/,
  },
  {
    name: 'only the configured Gateways are required: an unnamed one may be absent, a named one may not',
    objects: { gateways: [gateway('network/gateway-external', programmed), gateway('media/gateway-media', programmed)] },
    status: 'fail',
    summary: /^2\/3 Programmed: network\/gateway-internal missing$/,
  },
  {
    name: 'every Gateway when names is empty',
    objects: { gateways: [gateway('a/gw', programmed)] },
    config: { gateways: { names: [] } },
    status: 'pass',
    summary: /^1\/1/,
  },
  { name: 'no Gateways at all', config: { gateways: { names: [] } }, status: 'warn' },
  {
    name: 'Gateway API not installed',
    options: { sync: { gateways: { phase: 'not-installed' } } },
    status: 'unknown',
    summary: /^Gateway not installed \(CRD missing\)$/,
  },
]);

runTable('gateways.operator', [
  { name: 'available', objects: { deployments: [deployment('kube-system/cilium-operator', 2, 2)] }, status: 'pass' },
  {
    name: 'unavailable',
    objects: { deployments: [deployment('kube-system/cilium-operator', 0, 2)] },
    status: 'fail',
    summary: /kube-system\/cilium-operator unavailable \(0\/2 replicas available\): nothing programs the Gateways/,
    fixes: ['gateways-restart-operator'],
  },
  { name: 'missing: no restart to offer', status: 'fail', summary: /missing/, fixes: [] },
]);

runTable('gateways.health-checks', [
  {
    name: 'both Gateways health-checked',
    objects: { kustomizations: [flux('flux-system/cilium', { healthChecks: [healthCheck('gateway-external'), healthCheck('gateway-internal')] })] },
    status: 'pass',
  },
  {
    name: 'one missing: warn with the YAML',
    objects: { kustomizations: [flux('flux-system/cilium', { healthChecks: [healthCheck('gateway-external')] })] },
    status: 'warn',
    summary: /no Gateway health checks in flux-system\/cilium: Flux says Ready while network\/gateway-internal are unprogrammed/,
    gitHint: /healthChecks:\n {4}- apiVersion: gateway\.networking\.k8s\.io\/v1\n {6}kind: Gateway\n {6}name: gateway-internal\n {6}namespace: network/,
  },
  {
    name: 'a health check without namespace means the Kustomization namespace',
    objects: {
      kustomizations: [
        flux('network/cilium', {
          healthChecks: [
            { kind: 'Gateway', name: 'gateway-external' },
            { kind: 'Gateway', name: 'gateway-internal' },
          ],
        }),
      ],
    },
    config: { gateways: { ciliumKustomization: 'network/cilium' } },
    status: 'pass',
  },
  {
    name: 'no healthChecks at all',
    objects: { kustomizations: [flux('flux-system/cilium')] },
    status: 'warn',
    summary: /gateway-external, network\/gateway-internal/,
  },
  {
    name: 'health checks are asked for the configured Gateways, not for the Gateway of an app',
    objects: {
      kustomizations: [flux('flux-system/cilium', { healthChecks: [healthCheck('gateway-external'), healthCheck('gateway-internal')] })],
      gateways: [gateway('media/gateway-media', programmed)],
    },
    status: 'pass',
    summary: /^flux-system\/cilium health-checks 2 Gateways$/,
  },
  {
    name: 'with no configured names, every Gateway is health-checked',
    objects: {
      kustomizations: [flux('flux-system/cilium', { healthChecks: [healthCheck('gateway-external')] })],
      gateways: [gateway('network/gateway-external', programmed), gateway('media/gateway-media', programmed)],
    },
    config: { gateways: { names: [] } },
    status: 'warn',
    summary: /while media\/gateway-media are unprogrammed/,
  },
  { name: 'Kustomization missing', status: 'warn', summary: /not found/ },
]);
