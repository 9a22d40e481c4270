/** The ports the use case talks through; each has one AWS adapter in aws/ and an in-memory one in tests. */
import type { Change } from './change.ts';
import type { DeploymentGroupRef } from './deployment-groups.ts';
import type { TaskDefinitionReferences } from './reference.ts';
import type { Report } from './report.ts';
import type { Service, ServiceRef } from './service.ts';
import type { ItemQuery, MetadataAnswer, MoveRecord } from './staleness.ts';

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
  /** Forces a new deployment of the service's current task definition; returns the new PRIMARY deployment. */
  redeploy(service: ServiceRef): Promise<{ readonly deploymentId: string | null }>;
}

/** Which CodeDeploy deployment group deploys a service (services on the CODE_DEPLOY deployment controller). */
export interface DeploymentGroups {
  /** The group whose `ecsServices` list the service, or null when no group does. */
  groupOf(service: {
    readonly clusterName: string;
    readonly serviceName: string;
  }): Promise<DeploymentGroupRef | null>;
}

/** Hands redeploys to the durable queue instead of calling UpdateService in the planning function. */
export interface RedeployDispatch {
  dispatch(messages: readonly RedeployMessage[]): Promise<void>;
}

/** Runs `work` once per key; a second call with the same key answers the stored result. */
export interface OncePerKey {
  run<T extends object>(
    key: string,
    work: () => Promise<T>,
  ): Promise<{ readonly result: T; readonly duplicate: boolean }>;
}

/** Task definition references kept across cold starts (revisions are immutable, so entries never go stale). */
export interface ReferenceStore {
  getMany(taskDefinitionArns: readonly string[]): Promise<Map<string, TaskDefinitionReferences>>;
  putMany(entries: ReadonlyMap<string, TaskDefinitionReferences>): Promise<void>;
}

export interface ChangeVersions {
  /** The version the change's label (or the parameter) points to now; `arn` when the event only had a name. */
  currentVersion(change: Change): Promise<{ version: string | null; arn?: string }>;
}

/** One service to redeploy for one change: the unit the queue carries. */
export interface RedeployMessage {
  readonly service: ServiceRef;
  readonly changeKey: string;
  readonly change: Report['change'];
}

export interface RedeployQueue {
  /** Sends each message after `delaySeconds`, so changes to one service within the window coalesce. */
  send(messages: readonly RedeployMessage[], delaySeconds: number): Promise<void>;
}

export type Claim =
  | { readonly state: 'claimed'; readonly changeKeys: readonly string[] }
  | { readonly state: 'busy' }
  | { readonly state: 'done' };

/** Per-service bookkeeping that makes a redeploy happen once per change and carry every pending change. */
export interface PendingRedeploys {
  /** Records that `message.service` waits for a redeploy carrying `message.changeKey`. */
  add(message: RedeployMessage): Promise<void>;
  /** Takes the service for `owner` until `untilMs`, unless `changeKey` is already done or another owner holds it. */
  claim(service: ServiceRef, changeKey: string, owner: string, untilMs: number): Promise<Claim>;
  /** Marks the carried changes done (for `doneTtlSeconds`) and frees the service. */
  complete(service: ServiceRef, owner: string, changeKeys: readonly string[]): Promise<void>;
  /** Frees the service without marking anything done, so a retry carries the same changes. */
  release(service: ServiceRef, owner: string): Promise<void>;
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
