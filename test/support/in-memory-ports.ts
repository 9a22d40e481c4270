/** In-memory ports for the use case: an account described as plain data, and a record of what was called. */

import type { HandleChangePorts } from '../../functions/app/handle-change.ts';
import type { DeploymentGroupRef } from '../../functions/core/deployment-groups.ts';
import type { DeploymentGroups, Inventory, Redeployer, TaskDefinitions } from '../../functions/core/ports.ts';
import {
  referencesOf,
  type TaskDefinitionReferences,
  type TaskDefinitionShape,
} from '../../functions/core/reference.ts';
import { PLAIN_LAUNCH, type Service, type ServiceRef } from '../../functions/core/service.ts';

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
    deploymentStrategy: 'ROLLING',
    launch: PLAIN_LAUNCH,
    ...overrides,
  };
}

export interface FakeAccount {
  readonly services: readonly Service[];
  /** Task definitions by ARN; a missing ARN makes referencesOf fail as DescribeTaskDefinition would. */
  readonly taskDefinitions: Readonly<Record<string, TaskDefinitionShape>>;
  /** Service names whose redeploy throws this error. */
  readonly failing?: Readonly<Record<string, Error>>;
  /**
   * CodeDeploy deployment groups by service name; given, the ports look CODE_DEPLOY services' groups up here
   * (CodeDeploy on). A service mapped to an Error makes its lookup fail.
   */
  readonly deploymentGroups?: Readonly<Record<string, DeploymentGroupRef | Error>>;
}

export interface Recorded {
  readonly redeployed: string[];
  /** `service → application/group` for each redeploy made through CodeDeploy. */
  readonly codeDeployed: string[];
  /** Services whose deployment group was looked up, in order. */
  readonly groupLookups: string[];
  readonly taskDefinitionReads: string[];
  inventoryWalks: number;
}

export function inMemoryPorts(account: FakeAccount): { ports: HandleChangePorts; calls: Recorded } {
  const calls: Recorded = {
    redeployed: [],
    codeDeployed: [],
    groupLookups: [],
    taskDefinitionReads: [],
    inventoryWalks: 0,
  };
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
    async redeploy(target: ServiceRef) {
      const failure = account.failing?.[target.serviceName];
      if (failure !== undefined) throw failure;
      calls.redeployed.push(target.serviceName);
      deployment += 1;
      const group = target.codeDeployGroup;
      if (group === undefined) return { deploymentId: `ecs-svc/${String(deployment).padStart(19, '0')}` };
      calls.codeDeployed.push(
        `${target.serviceName} → ${group.applicationName}/${group.deploymentGroupName}`,
      );
      return { deploymentId: `d-${String(deployment).padStart(9, '0')}` };
    },
  };
  const groups = account.deploymentGroups;
  const deploymentGroups: DeploymentGroups | undefined =
    groups === undefined
      ? undefined
      : {
          async groupOf({ serviceName }) {
            calls.groupLookups.push(serviceName);
            const found = groups[serviceName];
            if (found instanceof Error) throw found;
            return found ?? null;
          },
        };
  return {
    ports: {
      inventory,
      taskDefinitions,
      delivery: { kind: 'direct', redeployer },
      ...(deploymentGroups === undefined ? {} : { deploymentGroups }),
    },
    calls,
  };
}
