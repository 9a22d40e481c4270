/** Builds the use case's ports from SDK clients and settings: the one place that picks adapters. */

import { QueueDispatch } from '../app/enqueue-redeploys.ts';
import type { RedeployPorts } from '../app/handle-change.ts';
import { AwsChangeVersions, regionalMetadataClients } from '../aws/change-versions.ts';
import type { AwsClients } from '../aws/clients.ts';
import { ClusterInventory, TaggedInventory } from '../aws/ecs-inventory.ts';
import { EcsRedeployer } from '../aws/ecs-redeployer.ts';
import { PowertoolsOncePerKey } from '../aws/once-per-change.ts';
import { SqsRedeployQueue } from '../aws/sqs-redeploy-queue.ts';
import { StateTable } from '../aws/state-table.ts';
import { EcsTaskDefinitions } from '../aws/task-definitions.ts';
import type { Settings } from './settings.ts';

/** A change is remembered for a day: EventBridge retries a target for up to 24 hours. */
export const CHANGE_MEMORY_SECONDS = 24 * 3600;

export interface PortWarnings {
  /** A tagged service in the short ARN format, whose cluster cannot be told. */
  readonly unplaceable?: (serviceArn: string) => void;
  /** The state table could not be read or written; ECS was asked instead. */
  readonly storeError?: (error: unknown) => void;
}

export interface PortContext {
  /** The account the clients act in, when known (a Lambda function's ARN tells it). */
  readonly ownAccount?: () => string | undefined;
}

export type AwsPorts = RedeployPorts & {
  readonly once?: PowertoolsOncePerKey | undefined;
  readonly state?: StateTable;
};

export function portsFromAws(
  clients: AwsClients,
  settings: Pick<Settings, 'selection'> &
    Partial<Pick<Settings, 'tableName' | 'queueUrl' | 'coalesceSeconds'>>,
  warnings: PortWarnings = {},
  context: PortContext = {},
): AwsPorts {
  const state =
    settings.tableName === null || settings.tableName === undefined
      ? undefined
      : new StateTable(clients.dynamodb, { tableName: settings.tableName });
  const queueUrl = settings.queueUrl ?? null;
  if (queueUrl !== null && state === undefined) {
    throw new TypeError('queued delivery needs the state table (TABLE_NAME) to redeploy each service once');
  }
  return {
    inventory:
      settings.selection === 'tagged'
        ? new TaggedInventory(clients.ecs, clients.tagging, warnings.unplaceable)
        : new ClusterInventory(clients.ecs),
    taskDefinitions: new EcsTaskDefinitions(clients.ecs, state, warnings.storeError),
    delivery:
      queueUrl === null || state === undefined
        ? { kind: 'direct', redeployer: new EcsRedeployer(clients.ecsUpdates) }
        : {
            kind: 'queued',
            dispatch: new QueueDispatch(
              state,
              new SqsRedeployQueue(clients.sqs, queueUrl),
              settings.coalesceSeconds ?? 60,
            ),
          },
    ...(state === undefined
      ? {}
      : {
          state,
          once: new PowertoolsOncePerKey(clients.dynamodb, state.tableName, CHANGE_MEMORY_SECONDS),
          changeVersions: new AwsChangeVersions(regionalMetadataClients(clients.config), context.ownAccount),
        }),
  };
}
