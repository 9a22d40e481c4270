/**
 * A new deployment of a CODE_DEPLOY-controlled service: CodeDeploy CreateDeployment with an AppSpec that names
 * the service's task definition and launch as DescribeServices gives them at this moment.
 *
 * Read at the moment of acting, not when the change was planned: the AppSpec names a task definition, and one
 * planned minutes earlier (the queue's coalescing window, retries) would roll back whatever the service's own
 * pipeline deployed meanwhile.
 *
 * CodeDeploy runs one deployment per group at a time: a group with an active deployment answers
 * DeploymentGroupBusyError, before any call that could start a second one. CreateDeployment has no idempotency
 * token, so after an answer that leaves it unknown whether CodeDeploy acted (a 5xx, a timeout), the group's active
 * deployments are read: one carrying this attempt's description is this attempt's and is not made again.
 */
import { randomUUID } from 'node:crypto';
import {
  type CodeDeployClient,
  CreateDeploymentCommand,
  type DeploymentStatus,
  GetDeploymentCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { appSpecContent, appSpecFor } from '../core/app-spec.ts';
import type { DeploymentGroupRef } from '../core/deployment-groups.ts';
import { DeploymentGroupBusyError, ServiceNotActiveError } from '../core/errors.ts';
import type { Redeployer } from '../core/ports.ts';
import type { ServiceRef } from '../core/service.ts';
import { classify, type RedeployRetry } from './ecs-redeployer.ts';
import { launchOf } from './task-set-launch.ts';

/** Every status of a deployment that has not ended: CodeDeploy refuses another deployment to the group meanwhile. */
export const ACTIVE_STATUSES: readonly DeploymentStatus[] = [
  'Created',
  'Queued',
  'InProgress',
  'Baking',
  'Ready',
];

/** CreateDeployment's answers for a group that already has an active deployment. */
const BUSY = new Set(['DeploymentLimitExceededException', 'DeploymentAlreadyStartedException']);

export interface CodeDeployDeployment {
  readonly deploymentId: string;
  /** The task definition the AppSpec named: the service's current one when the deployment was created. */
  readonly taskDefinitionArn: string;
}

export class CodeDeployRedeployer implements Redeployer {
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #nonce: () => string;
  readonly #now: () => number;

  /**
   * @param ecs reads the service (DescribeServices), with the SDK's own retries
   * @param codedeploy a client making one attempt per call (`maxAttempts: 1`): the retries are this adapter's
   */
  constructor(
    private readonly ecs: ECSClient,
    private readonly codedeploy: CodeDeployClient,
    retry: RedeployRetry & { readonly nonce?: () => string } = {},
  ) {
    this.#attempts = retry.attempts ?? 10;
    this.#baseDelayMs = retry.baseDelayMs ?? 1000;
    this.#maxDelayMs = retry.maxDelayMs ?? 20_000;
    this.#sleep = retry.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = retry.random ?? Math.random;
    this.#nonce = retry.nonce ?? randomUUID;
    this.#now = retry.now ?? Date.now;
  }

  /**
   * Deploys `service` through its `codeDeployGroup`.
   * @param until epoch milliseconds: a retry that would still be waiting then is not begun
   */
  async redeploy(service: ServiceRef, until?: number): Promise<CodeDeployDeployment> {
    const group = service.codeDeployGroup;
    if (group === undefined)
      throw new TypeError(`${service.serviceArn} names no CodeDeploy deployment group`);
    const described = await this.#describe(service);
    const taskDefinitionArn = described.taskDefinition as string;
    const content = appSpecContent(
      appSpecFor({ serviceArn: service.serviceArn, taskDefinitionArn, launch: launchOf(described) }),
    );
    const active = await this.#activeDeployments(group);
    if (active.length > 0) throw new DeploymentGroupBusyError(group.deploymentGroupName, active);
    // Unique per call, so a deployment found after an ambiguous failure can be told to be this one.
    const description = `rotation-redeploy: new tasks of ${service.serviceName} read the changed secrets and parameters (${this.#nonce()})`;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await this.codedeploy.send(
          new CreateDeploymentCommand({
            applicationName: group.applicationName,
            deploymentGroupName: group.deploymentGroupName,
            description,
            revision: { revisionType: 'AppSpecContent', appSpecContent: { content } },
          }),
        );
        if (answer.deploymentId === undefined) throw new Error('CreateDeployment answered no deploymentId');
        return { deploymentId: answer.deploymentId, taskDefinitionArn };
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (BUSY.has(name)) {
          throw new DeploymentGroupBusyError(group.deploymentGroupName, [], { cause: error });
        }
        const kind = classify(error);
        if (kind === null || attempt >= this.#attempts) throw error;
        if (kind === 'ambiguous') {
          const landed = await this.#deploymentDescribed(group, description).catch(() => null);
          if (landed !== null) return { deploymentId: landed, taskDefinitionArn };
        }
        const delay = this.#random() * Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
        if (until !== undefined && this.#now() + delay >= until) throw error;
        await this.#sleep(delay);
      }
    }
  }

  async #describe(service: ServiceRef) {
    const answer = await this.ecs.send(
      new DescribeServicesCommand({ cluster: service.clusterArn, services: [service.serviceName] }),
    );
    const described = answer.services?.[0];
    if (described?.status !== 'ACTIVE' || described.taskDefinition === undefined) {
      throw new ServiceNotActiveError(service.serviceArn, described?.status ?? 'not found');
    }
    return described;
  }

  async #activeDeployments(group: DeploymentGroupRef): Promise<string[]> {
    const answer = await this.codedeploy.send(
      new ListDeploymentsCommand({
        applicationName: group.applicationName,
        deploymentGroupName: group.deploymentGroupName,
        includeOnlyStatuses: [...ACTIVE_STATUSES],
      }),
    );
    return answer.deployments ?? [];
  }

  /** The active deployment of the group that carries `description`, if the ambiguous attempt created one. */
  async #deploymentDescribed(group: DeploymentGroupRef, description: string): Promise<string | null> {
    for (const deploymentId of await this.#activeDeployments(group)) {
      const answer = await this.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
      if (answer.deploymentInfo?.description === description) return deploymentId;
    }
    return null;
  }
}
