/** The ports the use cases talk through; each has one adapter (in aws/ or wiring/) and an in-memory one in tests. */
import type { Context } from 'aws-lambda';
import type { LogMessage, MetricName } from '../contract.ts';
import type { Change } from './change.ts';
import type { DeploymentGroupRef } from './deployment-groups.ts';
import type { FlapRecord } from './flap-guard.ts';
import type { RedeployMessage } from './queue-message.ts';
import type { TaskDefinitionReferences } from './reference.ts';
import type { ReportedChange } from './report.ts';
import type { DeploymentVia, RolloutObservation, StartedDeployment } from './rollout.ts';
import type { RedeployTarget, Service, ServiceRef } from './service.ts';
import type { Ledger, LedgerEntry } from './settled-report.ts';
import type { ItemQuery, MetadataAnswer, MoveRecord } from './staleness.ts';

/**
 * What one invocation (a Lambda event, a CLI command) tells the use case, which passes on to the adapters,
 * call by call, what they need of it. Nothing of it outlives the invocation.
 */
export interface Invocation {
  /** The account the code runs in, when known (a Lambda function's ARN tells it). */
  readonly ownAccount?: string | undefined;
  /** The Lambda context, when there is one: its remaining time bounds how long a run holds a change. */
  readonly lambdaContext?: Context | undefined;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Milliseconds left before the invocation is cut off (a Lambda function's timeout); absent when unbounded. */
  remainingMs?(): number;
}

export interface Inventory {
  /** Every ACTIVE service to consider, each with tags, deployment controller and current task definition. */
  services(): AsyncIterable<Service>;
  /** How many clusters the last `services()` walk looked at. */
  readonly clustersScanned: number;
}

export interface TaskDefinitions {
  /** What a task definition revision references; revisions are immutable, so adapters cache by ARN. */
  referencesOf(taskDefinitionArn: string): Promise<TaskDefinitionReferences>;
  /** Resolves when any write-behind (a persisted cache) has landed. */
  settle?(): Promise<void>;
}

export interface Redeployer {
  /**
   * Forces a new deployment of the service's current task definition; returns the new PRIMARY deployment.
   * @param until epoch milliseconds: retries that would still be waiting then are given up, the last error thrown
   */
  redeploy(service: RedeployTarget, until?: number): Promise<{ readonly deploymentId: string | null }>;
}

/** Reads a service as ECS has it now, tags included: what a queued message names is checked against it. */
export interface ServiceReader {
  /** The ACTIVE service with this ARN in this cluster, or null when ECS has none. */
  current(service: ServiceRef): Promise<Service | null>;
}

/** Which CodeDeploy deployment group deploys a service (services on the CODE_DEPLOY deployment controller). */
export interface DeploymentGroups {
  /** The group whose `ecsServices` list the service, or null when no group does. */
  groupOf(service: {
    readonly clusterName: string;
    readonly serviceName: string;
  }): Promise<DeploymentGroupRef | null>;
}

/** Runs `work` once per key; a second call with the same key answers the stored result. */
export interface OncePerKey {
  run<T extends object>(
    key: string,
    work: () => Promise<T>,
    invocation: Invocation,
  ): Promise<{ readonly result: T; readonly duplicate: boolean }>;
}

/** Task definition references kept across cold starts (revisions are immutable, so entries never go stale). */
export interface ReferenceStore {
  getMany(taskDefinitionArns: readonly string[]): Promise<Map<string, TaskDefinitionReferences>>;
  putMany(entries: ReadonlyMap<string, TaskDefinitionReferences>): Promise<void>;
}

export interface ChangeVersions {
  /** The version the change's label (or the parameter) points to now; `arn` when the event only had a name. */
  currentVersion(change: Change, invocation: Invocation): Promise<{ version: string | null; arn?: string }>;
}

/** What a change function hands the change scanner: the event, and what its metadata said (null: unreadable). */
export interface BufferedChange {
  readonly event: unknown;
  readonly current: { readonly version: string | null; readonly arn?: string } | null;
}

/** The short buffer in front of the change scanner: changes arriving together are handled by one scan. */
export interface ChangeBuffer {
  send(change: BufferedChange): Promise<void>;
}

/** The durable queue between deciding and redeploying: the worker redeploys each message's service. */
export interface RedeployQueue {
  /** Sends each message after `delaySeconds`, so changes to one service within the window coalesce. */
  send(messages: readonly RedeployMessage[], delaySeconds: number): Promise<void>;
}

/** Puts a received message back out of sight for a while, so its retry backs off. */
export interface RetryDelay {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

export type Claim =
  | { readonly state: 'claimed'; readonly changeKeys: readonly string[] }
  | { readonly state: 'busy' }
  | { readonly state: 'done' };

/** Per-service bookkeeping that makes a redeploy happen once per change and carry every pending change. */
export interface PendingRedeploys {
  /** Records that `message.service` waits for a redeploy carrying `message.changeKey`. */
  add(message: RedeployMessage): Promise<void>;
  /**
   * Takes the service for `owner` until `untilMs`, unless `changeKey` is already done or another owner holds it.
   * A change superseded by a newer value of its item, and not carried by a deployment since, takes the service
   * for that newer value. With `sweep`, a done `changeKey` does not end it either: the service is taken for its
   * other pending changes. Either way `done` answers when nothing is left to carry.
   */
  claim(
    service: ServiceRef,
    changeKey: string,
    owner: string,
    untilMs: number,
    options?: { readonly sweep?: boolean },
  ): Promise<Claim>;
  /**
   * Marks the carried changes done (for `doneTtlSeconds`) and frees the service; `startedAt` (epoch ms) is when
   * the deployment that carried them started, so a change superseded before then counts as carried too.
   */
  complete(
    service: ServiceRef,
    owner: string,
    changeKeys: readonly string[],
    startedAt?: number,
  ): Promise<void>;
  /** Frees the service without marking anything done, so a retry carries the same changes. */
  release(service: ServiceRef, owner: string): Promise<void>;
}

/** This tool's recent forced deployments of each service, for the flap guard (bounded, expiring). */
export interface RedeployHistory {
  historyOf(service: ServiceRef): Promise<FlapRecord>;
  /** Keeps `record` until nothing in it counts any more (an expiry), replacing what was kept. */
  saveHistory(service: ServiceRef, record: FlapRecord): Promise<void>;
}

/** When referenced items' values became current, from metadata only (never a value). */
export interface ItemMetadataReader {
  /** One answer per query, keyed by `queryKey`: the metadata, or why it could not be read. */
  read(queries: readonly ItemQuery[]): Promise<Map<string, MetadataAnswer>>;
}

/** Label moves and parameter writes seen in events, kept so the audit can prefer them to metadata bounds. */
export interface MoveTimes {
  record(move: MoveRecord): Promise<void>;
  /** The records kept under these keys (`moveKey`); a key never recorded is absent. */
  getMany(keys: readonly string[]): Promise<Map<string, MoveRecord>>;
}

/** The fields of one log line, beside its message. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where the functions say what happened: log lines that queries and alarms filter on, and metrics. */
export interface Telemetry {
  info(message: LogMessage, fields: LogFields): void;
  warn(message: LogMessage, fields: LogFields): void;
  error(message: LogMessage, fields: LogFields): void;
  count(metric: MetricName, value: number): void;
  /** A duration in seconds (its percentiles are what the dashboard shows). */
  seconds(metric: MetricName, value: number): void;
}

/** Reads what ECS (or CodeDeploy) reports about a deployment the tool started; `core/rollout.ts` decides. */
export interface RolloutReader {
  /** The deployments this reader follows: those started through `via`. */
  readonly via: DeploymentVia;
  /** The service and its deployments as they are now. */
  observe(started: StartedDeployment): Promise<RolloutObservation>;
  /** Why a task of the deployment stopped, when one did and it can be read; null otherwise. */
  stoppedTaskReason(started: StartedDeployment): Promise<string | null>;
}

/** A deployment the tool started, as kept for settling: the changes it carries and when it times out. */
export interface TrackedDeployment {
  readonly started: StartedDeployment;
  readonly changeKeys: readonly string[];
  /** Milliseconds since the epoch after which it is `timed-out`. */
  readonly deadline: number;
}

/** The deployments the tool started and, per change, the ledger of the services it redeployed. */
export interface RolloutLedger {
  /** A change function handed these services to the queue for `change`; they wait as `pending`. */
  expect(
    changeKey: string,
    change: ReportedChange,
    services: readonly ServiceRef[],
    changeSeenAt: number,
    deadline: number,
  ): Promise<void>;
  /** The worker started a deployment: kept by its id, and `in-progress` in each carried change's ledger. */
  recordStart(deployment: TrackedDeployment): Promise<void>;
  /** The deployment the tool started with this id, or null (most ids an account sees are not the tool's). */
  tracked(deploymentId: string): Promise<TrackedDeployment | null>;
  /**
   * Records how the service's rollout ended in the change's ledger, once (a later record of an ended entry is
   * ignored), and returns the ledger as it stands after; null when the ledger is gone (expired).
   */
  recordEnd(changeKey: string, entry: LedgerEntry): Promise<Ledger | null>;
  /** The change's ledger, or null. */
  ledger(changeKey: string): Promise<Ledger | null>;
  /** Marks the ledger settled; true for the one caller that did it, false for every later one. */
  markSettled(changeKey: string, settledAt: number): Promise<boolean>;
}

/** The delayed checks: of the deployments no event settled, and of each change's deadline. */
export interface SettleChecks {
  /** Asks for a look at the deployment after `delaySeconds` (at most 900, SQS's longest delay). */
  schedule(deploymentId: string, delaySeconds: number): Promise<void>;
  /** Asks for the change's ledger to be settled now, if it is done (its last service could not be redeployed). */
  settleChange(changeKey: string): Promise<void>;
  /**
   * Asks for a look at the change after `delaySeconds`, and after each look another until it is settled: at
   * its deadline it settles, whatever has not ended reported timed-out.
   */
  watchChange(changeKey: string, delaySeconds: number): Promise<void>;
}

/** Where settled reports are published (an SNS topic). */
export interface Notifier {
  publish(subject: string, body: string): Promise<void>;
}
