/** The ports for given settings, built from SDK clients: the one place that picks adapters. */

import { SNSClient } from '@aws-sdk/client-sns';
import type { AuditPorts } from '../app/audit.ts';
import type { BufferPorts } from '../app/buffer-change.ts';
import type { HandleChangePorts } from '../app/handle-change.ts';
import type { QueueWorkerPorts, RolloutTracking } from '../app/redeploy-from-queue.ts';
import type { SettlePorts } from '../app/settle-rollouts.ts';
import { AwsChangeVersions, regionalMetadataClients } from '../aws/change-versions.ts';
import type { AwsClients, ClientOptions } from '../aws/clients.ts';
import { CodeDeployGroups } from '../aws/codedeploy-groups.ts';
import { CodeDeployRedeployer } from '../aws/codedeploy-redeployer.ts';
import { CodeDeployRollouts } from '../aws/codedeploy-rollouts.ts';
import { ClusterInventory, TaggedInventory } from '../aws/ecs-inventory.ts';
import { shareOf } from '../aws/ecs-pacing.ts';
import { EcsRedeployer } from '../aws/ecs-redeployer.ts';
import { EcsRollouts } from '../aws/ecs-rollouts.ts';
import { EcsServiceReader } from '../aws/ecs-service-reader.ts';
import { AwsItemMetadata } from '../aws/item-metadata.ts';
import { DynamoMoveTimes } from '../aws/move-times.ts';
import { PowertoolsOncePerKey } from '../aws/once-per-change.ts';
import { DynamoRolloutLedger } from '../aws/rollout-ledger.ts';
import { SnsNotifier } from '../aws/sns-notifier.ts';
import { SqsChangeBuffer } from '../aws/sqs-change-buffer.ts';
import { SqsRedeployQueue, SqsRetryDelay } from '../aws/sqs-redeploy-queue.ts';
import { SqsSettleChecks } from '../aws/sqs-settle-checks.ts';
import { StateTable } from '../aws/state-table.ts';
import { EcsTaskDefinitions } from '../aws/task-definitions.ts';
import type { SelectionMode } from '../contract.ts';
import type { Inventory, Redeployer, RolloutReader, Telemetry } from '../core/ports.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import { DEFAULTS, LIMITS } from './limits.ts';
import { RedeployerByPath } from './redeployer-by-path.ts';
import type { Settings, SettleSettings, WorkerSettings } from './settings.ts';

/** A change is remembered for a day: EventBridge retries a target for up to 24 hours. */
export const CHANGE_MEMORY_SECONDS = 24 * 3600;

export interface PortWarnings {
  /** A tagged service in the short ARN format, whose cluster cannot be told. */
  readonly unplaceable?: (serviceArn: string) => void;
  /** The state table could not be read or written; ECS was asked instead. */
  readonly storeError?: (error: unknown) => void;
}

/**
 * How a function's clients pace ECS, from its settings: UpdateService at its own rate, every other ECS bucket
 * to its part of the stack's share (`ECS_SHARE`, which the stack divides between the processes that can run
 * at once), and, for the scheduled reconcile, each read action to at most `READS_PER_SECOND` besides.
 */
export function clientOptionsOf(
  settings: Pick<Settings, 'updatesPerSecond' | 'ecsShare'> & { readonly readsPerSecond?: number },
): ClientOptions {
  return {
    updatesPerSecond: settings.updatesPerSecond,
    ecsShare: settings.ecsShare,
    ...(settings.readsPerSecond === undefined ? {} : { readsPerSecond: settings.readsPerSecond }),
  };
}

const INVENTORIES: Record<SelectionMode, (clients: AwsClients, warnings: PortWarnings) => Inventory> = {
  all: (clients) => new ClusterInventory(clients.ecs),
  tagged: (clients, warnings) => new TaggedInventory(clients.ecs, clients.tagging, warnings.unplaceable),
};

/**
 * The ports of a change function or the CLI: the state table and the queue only when their names are set
 * (settingsFromEnv refuses a queue without a table).
 */
/** UpdateService for ECS-controlled services; CodeDeploy deployments too, unless turned off. */
function redeployer(clients: AwsClients, codeDeploy: boolean): Redeployer {
  return new RedeployerByPath(
    new EcsRedeployer(clients.ecsUpdates),
    codeDeploy ? new CodeDeployRedeployer(clients.ecs, clients.codedeployDeploys) : null,
  );
}

export function changeAdapters(
  clients: AwsClients,
  settings: Pick<Settings, 'selection'> &
    Partial<
      Pick<
        Settings,
        | 'tableName'
        | 'queueUrl'
        | 'coalesceSeconds'
        | 'codeDeploy'
        | 'maxRedeploysPerHour'
        | 'settleQueueUrl'
        | 'rolloutTimeoutMinutes'
      >
    >,
  warnings: PortWarnings = {},
): HandleChangePorts {
  const codeDeploy = settings.codeDeploy ?? DEFAULTS.codeDeploy;
  const state =
    settings.tableName === null || settings.tableName === undefined
      ? undefined
      : new StateTable(clients.dynamodb, { tableName: settings.tableName });
  const queueUrl = settings.queueUrl ?? null;
  return {
    inventory: INVENTORIES[settings.selection](clients, warnings),
    taskDefinitions: new EcsTaskDefinitions(clients.ecs, state, warnings.storeError),
    delivery:
      queueUrl === null || state === undefined
        ? { kind: 'direct', redeployer: redeployer(clients, codeDeploy) }
        : {
            kind: 'queued',
            pending: state,
            queue: new SqsRedeployQueue(clients.sqs, queueUrl),
            coalesceSeconds: settings.coalesceSeconds ?? LIMITS.coalesceSeconds.default,
            flapGuard: {
              history: state,
              limit: settings.maxRedeploysPerHour ?? LIMITS.maxRedeploysPerHour.default,
            },
            // The services handed off are expected in their change's ledger only where something settles it.
            expectations:
              (settings.settleQueueUrl ?? null) === null
                ? undefined
                : {
                    ledger: new DynamoRolloutLedger(clients.dynamodb, state.tableName),
                    checks: new SqsSettleChecks(clients.sqs, settings.settleQueueUrl ?? ''),
                    timeoutMs: timeoutMs(settings.rolloutTimeoutMinutes),
                  },
          },
    // Built once per execution environment, so the map of deployment groups outlives one invocation.
    ...(codeDeploy ? { deploymentGroups: new CodeDeployGroups(clients.codedeploy) } : {}),
    ...(state === undefined
      ? {}
      : {
          moves: new DynamoMoveTimes(clients.dynamodb, { tableName: state.tableName }),
          once: new PowertoolsOncePerKey(clients.dynamodb, state.tableName, CHANGE_MEMORY_SECONDS),
          changeVersions: new AwsChangeVersions(regionalMetadataClients(clients.config)),
        }),
  };
}

/**
 * A change function's ports when the change buffer is set: the metadata reader (the one read each change costs
 * before the buffer) and the buffer. Null without a buffer.
 */
export function bufferAdapters(
  clients: AwsClients,
  settings: Pick<Settings, 'changesQueueUrl'>,
): BufferPorts | null {
  if (settings.changesQueueUrl === null) return null;
  return {
    buffer: new SqsChangeBuffer(clients.sqs, settings.changesQueueUrl),
    changeVersions: new AwsChangeVersions(regionalMetadataClients(clients.config)),
  };
}

/**
 * The audit's ports: a change function's, and the metadata reader. `readsPerSecond` (the scheduled
 * reconcile) paces the metadata reads as createAwsClients paces ECS reads; without it they are not paced.
 */
export function auditAdapters(
  clients: AwsClients,
  settings: Parameters<typeof changeAdapters>[1] &
    Partial<Pick<Settings, 'concurrency'>> & { readonly readsPerSecond?: number | undefined },
  warnings: PortWarnings = {},
): AuditPorts {
  const { readsPerSecond } = settings;
  const bucket =
    readsPerSecond === undefined
      ? undefined
      : new TokenBucket(shareOf({ burst: readsPerSecond, perSecond: readsPerSecond }, readsPerSecond));
  return {
    ...changeAdapters(clients, settings, warnings),
    metadata: new AwsItemMetadata({
      clientsFor: regionalMetadataClients(clients.config),
      concurrency: settings.concurrency ?? LIMITS.concurrency.default,
      ...(bucket === undefined ? {} : { pace: () => bucket.take() }),
    }),
  };
}

/**
 * The worker's ports: its pending-redeploy records, the service read afresh, UpdateService or CodeDeploy, its
 * queue's retry delay, and what deciding a recheck message afresh reads (task definitions, kept in memory
 * only; deployment groups when CodeDeploy is on).
 */
export function workerAdapters(
  clients: AwsClients,
  settings: Pick<WorkerSettings, 'tableName' | 'queueUrl' | 'codeDeploy' | 'maxRedeploysPerHour'> &
    Partial<Pick<WorkerSettings, 'settleQueueUrl' | 'rolloutTimeoutMinutes'>>,
  telemetry: Telemetry,
): QueueWorkerPorts {
  const state = new StateTable(clients.dynamodb, { tableName: settings.tableName });
  const requeue = new SqsRedeployQueue(clients.sqs, settings.queueUrl);
  const settleQueueUrl = settings.settleQueueUrl ?? null;
  const tracking: RolloutTracking | undefined =
    settleQueueUrl === null
      ? undefined
      : {
          ledger: new DynamoRolloutLedger(clients.dynamodb, settings.tableName),
          checks: new SqsSettleChecks(clients.sqs, settleQueueUrl),
          timeoutMs: timeoutMs(settings.rolloutTimeoutMinutes),
        };
  return {
    pending: state,
    redeployer: redeployer(clients, settings.codeDeploy),
    // A deferred redeploy goes back on the queue the worker reads, as one that waits for its group does.
    flapGuard: { history: state, queue: requeue, limit: settings.maxRedeploysPerHour },
    services: new EcsServiceReader(clients.ecs),
    taskDefinitions: new EcsTaskDefinitions(clients.ecs),
    ...(settings.codeDeploy ? { deploymentGroups: new CodeDeployGroups(clients.codedeploy) } : {}),
    retryDelay: new SqsRetryDelay(clients.sqs, settings.queueUrl),
    requeue,
    telemetry,
    tracking,
  };
}

const timeoutMs = (minutes: number | undefined) => (minutes ?? LIMITS.rolloutTimeoutMinutes.default) * 60_000;

/**
 * The settle function's ports: the ledger, the rollout readers (CodeDeploy's only where CodeDeploy deploys),
 * its queue, and the topic when there is one.
 */
export function settleAdapters(
  clients: AwsClients,
  settings: Pick<SettleSettings, 'tableName' | 'settleQueueUrl' | 'notifyTopicArn' | 'codeDeploy'>,
  telemetry: Telemetry,
): SettlePorts {
  return {
    ledger: new DynamoRolloutLedger(clients.dynamodb, settings.tableName),
    readers: rolloutReaders(clients).filter((reader) => settings.codeDeploy || reader.via !== 'codedeploy'),
    checks: new SqsSettleChecks(clients.sqs, settings.settleQueueUrl),
    telemetry,
    notifier:
      settings.notifyTopicArn === null
        ? undefined
        : new SnsNotifier(new SNSClient(clients.config), settings.notifyTopicArn),
  };
}

/** What follows the deployments the tool starts: ECS's own (UpdateService) and CodeDeploy's (CreateDeployment). */
export function rolloutReaders(clients: AwsClients): RolloutReader[] {
  return [new EcsRollouts(clients.ecs), new CodeDeployRollouts(clients.codedeploy)];
}
