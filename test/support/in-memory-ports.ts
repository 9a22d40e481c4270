/** In-memory ports for the use case: an account described as plain data, and a record of what was called. */

import type { HandleChangePorts } from '../../functions/app/handle-change.ts';
import type { Inventory, Redeployer, TaskDefinitions } from '../../functions/core/ports.ts';
import {
  referencesOf,
  type TaskDefinitionReferences,
  type TaskDefinitionShape,
} from '../../functions/core/reference.ts';
import type { Service } from '../../functions/core/service.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/main`;

export function taskDefinitionArn(family: string, revision = 1): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
}

/** A service with sensible defaults: ECS controller, 2 tasks, no tags. */
export function service(name: string, taskDefinition: string, overrides: Partial<Service> = {}): Service {
  return {
    serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/main/${name}`,
    serviceName: name,
    clusterArn: CLUSTER_ARN,
    taskDefinitionArn: taskDefinition,
    desiredCount: 2,
    deploymentController: 'ECS',
    tags: {},
    deployedAt: null,
    ...overrides,
  };
}

export interface FakeAccount {
  readonly services: readonly Service[];
  /** Task definitions by ARN; a missing ARN makes referencesOf fail as DescribeTaskDefinition would. */
  readonly taskDefinitions: Readonly<Record<string, TaskDefinitionShape>>;
  /** Service names whose redeploy throws this error. */
  readonly failing?: Readonly<Record<string, Error>>;
}

export interface Recorded {
  readonly redeployed: string[];
  readonly taskDefinitionReads: string[];
  inventoryWalks: number;
}

export function inMemoryPorts(account: FakeAccount): { ports: HandleChangePorts; calls: Recorded } {
  const calls: Recorded = { redeployed: [], taskDefinitionReads: [], inventoryWalks: 0 };
  const inventory: Inventory = {
    clustersScanned: new Set(account.services.map((entry) => entry.clusterArn)).size,
    async *services() {
      calls.inventoryWalks += 1;
      yield* account.services;
    },
  };
  const taskDefinitions: TaskDefinitions = {
    async referencesOf(arn: string): Promise<TaskDefinitionReferences> {
      calls.taskDefinitionReads.push(arn);
      const found = account.taskDefinitions[arn];
      if (found === undefined) {
        const error = new Error(`Unable to describe task definition ${arn}`);
        error.name = 'ClientException';
        throw error;
      }
      return referencesOf({ ...found, taskDefinitionArn: arn });
    },
  };
  let deployment = 0;
  const redeployer: Redeployer = {
    async redeploy(target: Service) {
      const failure = account.failing?.[target.serviceName];
      if (failure !== undefined) throw failure;
      calls.redeployed.push(target.serviceName);
      deployment += 1;
      return { deploymentId: `ecs-svc/${String(deployment).padStart(19, '0')}` };
    },
  };
  return {
    ports: { inventory, taskDefinitions, delivery: { kind: 'direct', redeployer } },
    calls,
  };
}
