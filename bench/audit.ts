/**
 * The audit measurement: `rotation-redeploy audit --fix` as the CLI runs it (the clients createAwsClients
 * makes, the adapters auditAdapters picks, UpdateService straight away) on a synthetic account whose ECS API,
 * Secrets Manager and Parameter Store are simulated, in virtual time. Its calls are held against the least any
 * audit can make: one scan's, one metadata read per distinct secret, one per 50 parameters, one UpdateService
 * per stale service.
 */
import { audit } from '../functions/app/audit.ts';
import { createAwsClients } from '../functions/aws/clients.ts';
import { auditAdapters } from '../functions/wiring/adapters.ts';
import { LIMITS } from '../functions/wiring/limits.ts';
import { type AuditAccount, type AuditAccountShape, auditAccount } from './audit-account.ts';
import { leastCalls } from './bounds.ts';
import { type CallCount, SimulatedEcs } from './simulated-ecs.ts';
import {
  accountEndpoint,
  PARAMETER_FILTER_MAX,
  SimulatedMetadata,
  VERSIONS_PAGE_MAX,
} from './simulated-metadata.ts';
import { REGION } from './synthetic-account.ts';
import { installVirtualClock } from './virtual-clock.ts';

/** The size the issue asks for: 10,000 services, 500 distinct referenced items. */
export const AUDIT_SHAPE: AuditAccountShape = {
  services: 10_000,
  clusters: 100,
  items: 500,
  changedItems: 10,
};

/** The actions an audit with `--fix` makes, in the order each depends on the one before. */
export const AUDIT_ACTIONS = [
  'ListClusters',
  'ListServices',
  'DescribeServices',
  'DescribeTaskDefinition',
  'ListSecretVersionIds',
  'DescribeParameters',
  'UpdateService',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditCalls = Readonly<Record<AuditAction, number>>;

/** What `leastAuditCalls` counts, in words, with the limits it counts with. */
export function describeLeastAuditCalls(): string {
  return `one scan's least calls (ListClusters, ListServices and DescribeServices by page, DescribeTaskDefinition once per distinct task definition), ListSecretVersionIds once per distinct secret (no secret has more than ${VERSIONS_PAGE_MAX} versions, one page; no other metadata call dates a version without reading its value), DescribeParameters once per ${PARAMETER_FILTER_MAX} distinct parameters of one account and Region (a hierarchical name has one spelling, and a filter takes ${PARAMETER_FILTER_MAX} names), UpdateService once per stale service`;
}

/** The least calls any audit of the account with `--fix` makes, by action. */
export function leastAuditCalls(account: AuditAccount): AuditCalls {
  const scan = leastCalls(account, false);
  const items = [...account.items.values()];
  const secrets = items.filter((item) => item.kind === 'secretsmanager').length;
  const parameters = items.length - secrets;
  return {
    ListClusters: scan.ListClusters,
    ListServices: scan.ListServices,
    DescribeServices: scan.DescribeServices,
    DescribeTaskDefinition: scan.DescribeTaskDefinition,
    ListSecretVersionIds: secrets,
    DescribeParameters: Math.ceil(parameters / PARAMETER_FILTER_MAX),
    UpdateService: account.matchingServiceArns.size,
  };
}

export const totalAuditCalls = (calls: AuditCalls): number =>
  AUDIT_ACTIONS.reduce((sum, action) => sum + calls[action], 0);

export interface AuditSpec extends AuditAccountShape {
  readonly latencyMs: number;
}

export interface AuditMeasurement {
  readonly spec: AuditSpec;
  readonly taskDefinitions: number;
  readonly staleServices: number;
  readonly calls: Readonly<Record<string, CallCount>>;
  readonly least: AuditCalls;
  /** What the audit's report said: stale services, redeployed, failed, distinct items dated. */
  readonly reported: { stale: number; redeployed: number; failed: number; items: number };
  /** Stale services the simulator saw redeployed once, more than once, or never; others redeployed. */
  readonly redeployedOnce: number;
  readonly redeployedTwiceOrMore: number;
  readonly missed: number;
  readonly unexpected: number;
  /** Virtual ms from the start to the last call answered, and to the run's end. */
  readonly toLastUpdateMs: number | null;
  readonly toEndMs: number;
  /** Real ms. */
  readonly wallMs: number;
  /** The kernel's peak RSS of the whole process (getrusage), in MB. */
  readonly maxRssMb: number;
  /** Why the run threw; null when it did not. */
  readonly error: string | null;
}

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
/** After every simulated value change and deployment. */
const RUN_AT = Date.parse('2025-11-05T03:00:41Z');

/** The audit as `rotation-redeploy audit --fix` runs it, against this request handler. */
export function auditPipeline(requestHandler: ReturnType<typeof accountEndpoint>) {
  const concurrency = LIMITS.concurrency.default;
  const clients = createAwsClients({
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler,
    updatesPerSecond: LIMITS.updatesPerSecond.default,
  });
  const ports = auditAdapters(clients, { selection: 'all', concurrency });
  return () => audit(ports, { fix: true, concurrency });
}

/** One audit on a fresh account, in virtual time; counts every call the simulated services answered. */
export async function measureAudit(spec: AuditSpec): Promise<AuditMeasurement> {
  const realNow = performance.now.bind(performance);
  const clock = installVirtualClock(RUN_AT);
  try {
    const account = auditAccount(spec);
    const ecs = new SimulatedEcs(account, { latencyMs: spec.latencyMs });
    const metadata = new SimulatedMetadata(account.items.values(), { latencyMs: spec.latencyMs });
    const run = auditPipeline(accountEndpoint(ecs, metadata));
    const startedAt = clock.now();
    const startedReal = realNow();
    let error: string | null = null;
    let reported = { stale: 0, redeployed: 0, failed: 0, items: 0 };
    try {
      const report = await clock.run(run);
      reported = {
        stale: report.summary.stale,
        redeployed: report.summary.redeployed,
        failed: report.summary.failed,
        items: report.scanned.items,
      };
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    }
    const wallMs = realNow() - startedReal;
    const { stats } = ecs;
    let once = 0;
    let more = 0;
    let unexpected = 0;
    for (const [arn, updates] of stats.updatesByService) {
      if (!account.matchingServiceArns.has(arn)) unexpected += 1;
      else if (updates === 1) once += 1;
      else more += 1;
    }
    return {
      spec,
      taskDefinitions: account.taskDefinitions.size,
      staleServices: account.matchingServiceArns.size,
      calls: { ...stats.calls, ...metadata.calls },
      least: leastAuditCalls(account),
      reported,
      redeployedOnce: once,
      redeployedTwiceOrMore: more,
      missed: account.matchingServiceArns.size - once - more,
      unexpected,
      toLastUpdateMs: stats.lastUpdateAt === null ? null : stats.lastUpdateAt - startedAt,
      toEndMs: clock.now() - startedAt,
      wallMs,
      // getrusage reports kilobytes on Linux.
      maxRssMb: (process.resourceUsage().maxRSS * 1024) / (1024 * 1024),
      error,
    };
  } finally {
    clock.uninstall();
  }
}
