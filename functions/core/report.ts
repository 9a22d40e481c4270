/** Decisions and their outcomes → the one report an operator reads, and the numbers the metrics carry. */
import { METRICS, type MetricName } from '../contract.ts';
import type { Change, IgnoreReason } from './change.ts';
import type { SkipReason } from './decide.ts';
import type { Reference, ReferenceField } from './reference.ts';
import { countRollouts, type RolloutCounts, type RolloutOutcome } from './rollout.ts';
import type { RedeployPath, Service } from './service.ts';

/**
 * `queued`: handed to the redeploy queue, whose worker reports the deployment. `deferred`: handed to the queue
 * too, but the service has had its most forced deployments for the hour (the flap guard): the worker deploys
 * it, once for every change deferred meanwhile, when the hour allows.
 */
export type Action = 'redeployed' | 'would-redeploy' | 'queued' | 'deferred' | 'skipped' | 'failed';

export interface ReportedReference {
  readonly container: string;
  readonly field: ReferenceField;
  readonly valueFrom: string;
}

export interface ServiceOutcome {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly action: Action;
  /** A SkipReason when skipped; `ErrorName: message` when failed; when deferred, until when; null otherwise. */
  readonly reason: SkipReason | string | null;
  readonly deploymentId: string | null;
  /**
   * What starts (or would start) its deployment: `ecs` (UpdateService) or `codedeploy` (CreateDeployment);
   * null when nothing does.
   */
  readonly via: RedeployPath['via'] | null;
  /** ECS's deployment strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY), or the CodeDeploy group's configuration. */
  readonly strategy: string | null;
  /** `application/deployment-group` of a CodeDeploy deployment; null otherwise. */
  readonly deploymentGroup: string | null;
  /** Words for what the reason alone does not say (which deployment controller case); null otherwise. */
  readonly detail: string | null;
  readonly references: readonly ReportedReference[];
  /**
   * The change key whose deployment this change rode on: the service reads several changed items, and one
   * UpdateService, started for that change, carries this one too (same `deploymentId`). Absent otherwise.
   */
  readonly rodeOn?: string;
  /** Only once the deployment was followed to its end (`run --wait`): how it ended. */
  readonly rollout?: RolloutOutcome;
}

/** What an outcome says of how the service is deployed, beyond its action and reason. */
export interface OutcomeDetails {
  readonly path?: RedeployPath | undefined;
  readonly detail?: string | null | undefined;
  /** The change key whose deployment this one rode on. */
  readonly rodeOn?: string | undefined;
}

export interface ScanCounts {
  readonly clusters: number;
  readonly services: number;
  readonly taskDefinitions: number;
}

/** The change as a report, a log line and a queue message show it: the Change without its parsed item. */
export interface ReportedChange {
  readonly kind: Change['kind'];
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly label: string | null;
  readonly versionId: string | null;
  readonly trigger: string;
}

export interface Summary {
  readonly matched: number;
  /** Services given a deployment for this change; one that rode on another change's is counted in `rodeOn`. */
  readonly redeployed: number;
  /** Dry runs only: the services a real run would redeploy (never counted as redeployed). */
  readonly wouldRedeploy: number;
  /**
   * Several changes at once only, and only when not 0: services whose deployment (or planned one) was started
   * for another change of the same run and carries this one too. Never counted in `redeployed` or
   * `wouldRedeploy`, so the reports of one run add up to the UpdateService calls it made.
   */
  readonly rodeOn?: number;
  /** Handed to the redeploy queue (the deployed stack); the worker reports each deployment. */
  readonly queued: number;
  /** Queued, but held back by the flap guard until the hour allows (see `deferredReason`). */
  readonly deferred: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface Report {
  /** The change as a key (item, label, version): the same for every announcement of one new value. */
  readonly changeKey?: string;
  readonly change: ReportedChange;
  readonly ignored: IgnoreReason | null;
  readonly dryRun: boolean;
  readonly services: readonly ServiceOutcome[];
  readonly summary: Summary & Partial<RolloutCounts>;
  readonly scanned: ScanCounts;
  readonly durationMs: number;
}

export function reportedReferences(references: readonly Reference[]): ReportedReference[] {
  return references.map(({ container, field, valueFrom }) => ({ container, field, valueFrom }));
}

export function outcomeOf(
  service: Service,
  references: readonly Reference[],
  action: Action,
  reason: string | null = null,
  deploymentId: string | null = null,
  details: OutcomeDetails = {},
): ServiceOutcome {
  const { path } = details;
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: service.clusterArn,
    taskDefinitionArn: service.taskDefinitionArn,
    action,
    reason,
    deploymentId,
    via: path?.via ?? null,
    strategy:
      path === undefined ? null : path.via === 'ecs' ? path.strategy : path.group.deploymentConfigName,
    deploymentGroup:
      path?.via === 'codedeploy' ? `${path.group.applicationName}/${path.group.deploymentGroupName}` : null,
    detail: details.detail ?? null,
    references: reportedReferences(references),
    ...(details.rodeOn === undefined ? {} : { rodeOn: details.rodeOn }),
  };
}

/** `ErrorName: message`, the form a failed service's reason takes. */
export function failureReason(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `Error: ${String(error)}`;
}

/** Why a service is `deferred`: its forced deployments of the last hour, and when the next may start (epoch ms). */
export function deferredReason(recent: number, allowedAt: number): string {
  return `flap guard: ${recent} forced deployments in the last hour; the next from ${new Date(allowedAt).toISOString()}`;
}

export function reportedChange(change: Change): ReportedChange {
  const { kind, arn, name, account, region, label, versionId, trigger } = change;
  return { kind, arn, name, account, region, label, versionId, trigger };
}

export const byServiceArn = (a: ServiceOutcome, b: ServiceOutcome) =>
  a.serviceArn.localeCompare(b.serviceArn);

/** How many services each action has; `matched` counts them all. */
export function summaryOf(outcomes: readonly ServiceOutcome[]): Summary {
  const count = (action: Action) =>
    outcomes.filter((outcome) => outcome.action === action && outcome.rodeOn === undefined).length;
  const rodeOn = outcomes.filter((outcome) => outcome.rodeOn !== undefined).length;
  return {
    matched: outcomes.length,
    redeployed: count('redeployed'),
    wouldRedeploy: count('would-redeploy'),
    queued: count('queued'),
    deferred: count('deferred'),
    skipped: count('skipped'),
    failed: count('failed'),
    ...(rodeOn === 0 ? {} : { rodeOn }),
  };
}

export function buildReport(input: {
  change: Change;
  ignored: IgnoreReason | null;
  dryRun: boolean;
  outcomes: readonly ServiceOutcome[];
  scanned: ScanCounts;
  durationMs: number;
}): Report {
  const { change, outcomes } = input;
  return {
    change: reportedChange(change),
    ignored: input.ignored,
    dryRun: input.dryRun,
    // Summary first: Logs Insights extracts a bounded number of fields from one JSON line.
    summary: summaryOf(outcomes),
    scanned: input.scanned,
    durationMs: input.durationMs,
    services: [...outcomes].sort(byServiceArn),
  };
}

/** The metric values of one change function run (Count units); the worker emits the others. */
export function metricValuesOf(report: Report): ReadonlyMap<MetricName, number> {
  return new Map<MetricName, number>([
    [METRICS.ChangesHandled, report.ignored === null ? 1 : 0],
    [METRICS.EventsIgnored, report.ignored === null ? 0 : 1],
    [METRICS.ServicesMatched, report.summary.matched],
    [METRICS.ServicesRedeployed, report.summary.redeployed],
    // Deferred services were handed to the queue as well: they only wait longer there.
    [METRICS.ServicesQueued, report.summary.queued + report.summary.deferred],
    [METRICS.ServicesSkipped, report.summary.skipped],
    [METRICS.ServicesFailed, report.summary.failed],
    [METRICS.ServicesFlapping, report.summary.deferred],
  ]);
}

/**
 * The report once the deployments it started were followed: each redeployed service gains its `rollout`
 * (keyed by service ARN; one deployment per service and run) and the summary the counts of each end.
 */
export function withRollouts(report: Report, rollouts: ReadonlyMap<string, RolloutOutcome>): Report {
  const services = report.services.map((service) => {
    const rollout = rollouts.get(service.serviceArn);
    return service.action === 'redeployed' && rollout !== undefined ? { ...service, rollout } : service;
  });
  const ended = services.flatMap((service) => (service.rollout === undefined ? [] : [service.rollout]));
  return { ...report, summary: { ...report.summary, ...countRollouts(ended) }, services };
}
