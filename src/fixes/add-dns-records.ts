/**
 * `dns-add-records`: add the A and AAAA records the resolver does not answer, as static entries on
 * the router (RouterOS v7 `PUT /rest/ip/dns/static`, one entry per address, as the external-dns
 * MikroTik webhook does), each tagged with a `drdeck:` comment so they can be found again. The
 * quick fix of seed issue 8 (Option 1); the proper one is a dual-stack Service, after which
 * external-dns publishes the AAAA itself. What is missing is exactly what the dns.records check
 * says is missing; the effect is followed through the DNS poller's answers.
 */
import { dnsFindings, type ExpectedRecord, type RecordType } from '../checks/dns.js';
import type { Snapshot } from '../checks/types.js';
import { canonicalIp } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import { plannedRecords, routerOsAddCommand, type PlannedRouterRequest } from '../dns/routeros.js';
import { NO_ROUTER, routerRecordText } from './send.js';
import type { Fix, FixTarget, Plan } from './types.js';
import { count, errorText, noPlan, parseTarget, remaining, waitQuietly } from './util.js';

const TIMEOUT_MS = 2 * 60_000;
/** While following, how often to ask the resolver again (the poller's own interval may be 30 s). */
const REASK_MS = 10_000;

interface MissingRecord {
  name: string;
  type: RecordType;
  address: string;
  record: ExpectedRecord;
  /** What the resolver answers for this name and type instead (a "wrong" record, left alone). */
  wrong: string[];
}

/** True when no source of the name has any address in its status: nothing would answer at the record's address. */
function noAddressYet(record: ExpectedRecord): boolean {
  const expected: RecordType[] = [...(record.a.length ? ['A' as const] : []), ...(record.aaaa.length ? ['AAAA' as const] : [])];
  return expected.length > 0 && expected.every((t) => record.statusLacks?.includes(t));
}

const servicesOf = (record: ExpectedRecord) => record.sources.filter((s) => s.startsWith('Service ')).map((s) => s.slice('Service '.length));

/**
 * The records drdeck would add: every expected address the resolver did not give, for names it
 * could ask about. Names whose Service has no address at all are left out (`skipped`): a record
 * would point at an address nothing answers; LB-IPAM must give one first.
 */
function missingRecords(snapshot: Snapshot, config: Config): { todo: MissingRecord[]; skipped: string[] } {
  const todo: MissingRecord[] = [];
  const skipped: string[] = [];
  for (const finding of dnsFindings(snapshot, config)) {
    const { record } = finding;
    if (!finding.missing.length) continue;
    if (noAddressYet(record)) {
      const absent = [...finding.absent.A, ...finding.absent.AAAA].join(', ');
      skipped.push(
        `${record.name}: ${servicesOf(record).join(', ') || record.sources.join(', ')} has no address in its status yet, so nothing answers at ${absent} (see LoadBalancers)`,
      );
      continue;
    }
    for (const type of ['A', 'AAAA'] as const) {
      for (const address of finding.absent[type]) todo.push({ name: record.name, type, address, record, wrong: finding.wrong[type] });
    }
  }
  return { todo, skipped };
}

function select(snapshot: Snapshot, config: Config, target: string | undefined): { todo: MissingRecord[]; skipped: string[] } | string {
  const all = missingRecords(snapshot, config);
  if (!target) return all;
  const parsed = parseTarget(target);
  const name = parsed.name.trim().toLowerCase().replace(/\.$/, '');
  if ((parsed.kind && parsed.kind !== 'dns') || parsed.namespace) return `not a published name: ${target} (give the name, e.g. smtp-relay.example.com)`;
  const todo = all.todo.filter((m) => m.name === name);
  if (todo.length) return { todo, skipped: [] };
  const skipped = all.skipped.filter((s) => s.startsWith(`${name}:`));
  if (skipped.length) return `nothing to do that drdeck can do: ${skipped[0]}`;
  return `nothing to do: the resolver answers every expected record of ${name} (or cannot be asked)`;
}

const typesText = (types: Iterable<RecordType>) => [...new Set(types)].sort().join(' and ');

function warnings(todo: readonly MissingRecord[]): string[] {
  const out: string[] = [];
  const lacking = todo.filter((m) => m.record.statusLacks?.includes(m.type));
  if (lacking.length) {
    const services = [...new Set(lacking.flatMap((m) => servicesOf(m.record)))];
    out.push(
      `the proper fix is making ${services.join(', ')} dual-stack (loadbalancers-dual-stack): external-dns then publishes the ${typesText(lacking.map((m) => m.type))} itself`,
    );
  }
  const unexplained = [...new Set(todo.filter((m) => !m.record.statusLacks?.includes(m.type)).map((m) => m.name))];
  if (unexplained.length) {
    out.push(`external-dns should already publish ${unexplained.join(', ')} from the status: look at its logs too (records added here hide the cause)`);
  }
  out.push('records added by hand are not removed by external-dns: when an address changes, remove them on the router (their comment starts with "drdeck:")');
  for (const m of todo) {
    if (m.wrong.length) out.push(`${m.name} also answers ${m.type} ${m.wrong.join(', ')}: drdeck adds the expected address and removes nothing`);
  }
  return [...new Set(out)];
}

/** True when the resolver's latest answer for the request's name holds its address. */
function answered(snapshot: Snapshot, request: PlannedRouterRequest): boolean {
  const answer = snapshot.dns.get(request.body.name);
  if (!answer || answer.error) return false;
  const addresses = request.body.type === 'A' ? answer.a : answer.aaaa;
  return addresses.some((a) => canonicalIp(String(a)) === canonicalIp(request.body.address));
}

export const addDnsRecords: Fix = {
  id: 'dns-add-records',
  title: 'Add the missing DNS records on the router',
  dangerous: false,
  panel: 'dns',
  key: 'a',
  label: 'add records',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    // Without a router the key is not offered (`drdeck fix` still says why).
    if (!snapshot.routerRecords) return [];
    const names = [...new Set(missingRecords(snapshot, config).todo.map((m) => m.name))];
    return names.map((name): FixTarget => ({ kind: 'dns', name }));
  },

  plan(snapshot, config, options) {
    const router = snapshot.routerRecords;
    if (!router) return noPlan(NO_ROUTER);
    const selected = select(snapshot, config, options.target);
    if (typeof selected === 'string') return noPlan(selected);
    const { todo, skipped } = selected;
    if (!todo.length) {
      return noPlan(
        skipped.length ? `nothing to do that drdeck can do: ${skipped.join('; ')}` : 'nothing to do: the resolver answers every expected A and AAAA record',
      );
    }
    const routerRequests = plannedRecords(todo, new Date(options.now ?? snapshot.now));
    const names = [...new Set(todo.map((m) => m.name))];
    const plan: Plan = {
      fixId: 'dns-add-records',
      title: `Add ${count(routerRequests.length, `${typesText(todo.map((m) => m.type))} record`)} on router ${router.label}`,
      targets: names.map((name) => ({ kind: 'dns', name })),
      requests: [],
      routerRequests,
      commands: routerRequests.map(routerOsAddCommand),
      warnings: warnings(todo),
      details: [...todo.map((m) => `${m.name}: missing ${m.type} ${m.address} (from ${m.record.sources.join(', ')})`), ...skipped.map((s) => `skipped ${s}`)],
      confirm: { kind: 'yes' },
    };
    return plan;
  },

  async run(plan, context) {
    const requests = plan.routerRequests ?? [];
    if (!context.sendRouter) return { ok: false, message: NO_ROUTER };
    const start = context.now();
    const added: PlannedRouterRequest[] = [];
    const errors: string[] = [];
    for (const request of requests) {
      context.progress(`PUT ${routerRecordText(request)}`);
      try {
        await context.sendRouter(request);
        added.push(request);
      } catch (error) {
        // The router's words as it said them ("router said: 400 Bad Request: failure: entry already exists").
        errors.push(`${routerRecordText(request)}: ${errorText(error)}`);
      }
    }
    // Asked even when every PUT failed: "entry already exists" means the resolver may answer now.
    context.refreshDns?.();
    let visible: PlannedRouterRequest[] = [];
    if (added.length) {
      let asked = context.now();
      context.progress(`waiting for the resolver to answer ${count(added.length, 'added record')}`);
      await waitQuietly(context, 'the resolver answers the added records', remaining(context, start, TIMEOUT_MS), (snapshot) => {
        if (added.every((r) => answered(snapshot, r))) return true;
        if (context.now() - asked >= REASK_MS) {
          asked = context.now();
          context.refreshDns?.();
        }
        return undefined;
      });
      const latest = context.snapshot();
      visible = added.filter((r) => answered(latest, r));
    }
    const still = added.filter((r) => !visible.includes(r));
    const parts = [`${visible.length}/${requests.length} records added and answered by the resolver`];
    if (still.length) parts.push(`added but not answered yet: ${still.map(routerRecordText).join(', ')}`);
    if (errors.length) parts.push(`${errors.length} failed: ${errors.join('; ')}`);
    return {
      ok: !still.length && !errors.length,
      message: parts.join('; '),
      details: [
        ...visible.map((r) => `${routerRecordText(r)}: added, answered`),
        ...still.map((r) => `${routerRecordText(r)}: added, not answered yet`),
        ...errors,
      ],
    };
  },
};
