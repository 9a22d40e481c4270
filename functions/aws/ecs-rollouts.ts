/**
 * What ECS reports about a deployment the tool started: reads only (DescribeServices; for BLUE_GREEN, LINEAR
 * and CANARY services ListServiceDeployments and DescribeServiceDeployments; ListTasks and DescribeTasks for a
 * stopped task's reason). Give it the paced read client: every attempt takes a token like the scan's reads.
 */
import {
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
} from '@aws-sdk/client-ecs';
import type { RolloutReader } from '../core/ports.ts';
import {
  type ObservedDeployment,
  type ObservedServiceDeployment,
  type RolloutObservation,
  SAME_MOMENT_MS,
  type StartedDeployment,
} from '../core/rollout.ts';

/** The strategies whose outcome only the service-deployment APIs give (no `rolloutState` on deployments). */
const SERVICE_DEPLOYMENT_STRATEGIES = new Set(['BLUE_GREEN', 'LINEAR', 'CANARY']);
/** DescribeServiceDeployments takes at most 20 ARNs; ListTasks and DescribeTasks at most 100 a call. */
const DESCRIBE_SERVICE_DEPLOYMENTS_MAX = 20;
const TASKS_MAX = 100;

const millis = (date: Date | undefined): number | null => date?.getTime() ?? null;

function observedDeployment(deployment: Deployment): ObservedDeployment | null {
  if (deployment.id === undefined) return null;
  return {
    id: deployment.id,
    status: deployment.status ?? '',
    rolloutState: deployment.rolloutState ?? null,
    rolloutStateReason: deployment.rolloutStateReason ?? null,
    createdAt: millis(deployment.createdAt),
    updatedAt: millis(deployment.updatedAt),
    desiredCount: deployment.desiredCount ?? 0,
    runningCount: deployment.runningCount ?? 0,
    pendingCount: deployment.pendingCount ?? 0,
  };
}

function observedServiceDeployment(
  brief: ServiceDeploymentBrief,
  described: ServiceDeployment | undefined,
): ObservedServiceDeployment | null {
  if (brief.serviceDeploymentArn === undefined) return null;
  return {
    arn: brief.serviceDeploymentArn,
    status: described?.status ?? brief.status ?? '',
    statusReason: described?.statusReason ?? brief.statusReason ?? null,
    rollbackReason: described?.rollback?.reason ?? null,
    createdAt: millis(described?.createdAt ?? brief.createdAt),
    endedAt: millis(
      described?.finishedAt ?? described?.stoppedAt ?? brief.finishedAt ?? described?.updatedAt,
    ),
  };
}

export class EcsRollouts implements RolloutReader {
  readonly via = 'ecs' as const;

  /** @param ecs the paced read client (adaptive retries) */
  constructor(private readonly ecs: ECSClient) {}

  async observe(started: StartedDeployment): Promise<RolloutObservation> {
    const { service } = started;
    const answer = await this.ecs.send(
      new DescribeServicesCommand({ cluster: service.clusterArn, services: [service.serviceName] }),
    );
    const described = answer.services?.[0];
    if (described === undefined)
      return { kind: 'service-gone', status: answer.failures?.[0]?.reason ?? 'MISSING' };
    if (described.status !== undefined && described.status !== 'ACTIVE') {
      return { kind: 'service-gone', status: described.status };
    }
    const deployments = (described.deployments ?? []).flatMap((entry) => observedDeployment(entry) ?? []);
    const strategy = described.deploymentConfiguration?.strategy ?? 'ROLLING';
    if (!SERVICE_DEPLOYMENT_STRATEGIES.has(strategy)) {
      const events = (described.events ?? []).map((event) => ({
        createdAt: millis(event.createdAt),
        message: event.message ?? '',
      }));
      return { kind: 'rolling', deployments, events };
    }
    const ours = deployments.find((deployment) => deployment.id === started.deploymentId);
    const moment = ours?.createdAt ?? started.startedAt;
    return {
      kind: 'service-deployments',
      strategy,
      deployments,
      serviceDeployments: await this.#serviceDeploymentsAround(started, moment),
    };
  }

  /** The service deployments made from just before our deployment on: ours and any later one. */
  async #serviceDeploymentsAround(
    started: StartedDeployment,
    moment: number,
  ): Promise<ObservedServiceDeployment[]> {
    const { service } = started;
    const briefs: ServiceDeploymentBrief[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ecs.send(
        new ListServiceDeploymentsCommand({
          cluster: service.clusterArn,
          service: service.serviceName,
          createdAt: { after: new Date(moment - 2 * SAME_MOMENT_MS) },
          maxResults: 100,
          nextToken,
        }),
      );
      briefs.push(...(page.serviceDeployments ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    const arns = briefs.flatMap((brief) => brief.serviceDeploymentArn ?? []);
    const described = new Map<string, ServiceDeployment>();
    for (let start = 0; start < arns.length; start += DESCRIBE_SERVICE_DEPLOYMENTS_MAX) {
      const answer = await this.ecs.send(
        new DescribeServiceDeploymentsCommand({
          serviceDeploymentArns: arns.slice(start, start + DESCRIBE_SERVICE_DEPLOYMENTS_MAX),
        }),
      );
      for (const deployment of answer.serviceDeployments ?? []) {
        if (deployment.serviceDeploymentArn !== undefined)
          described.set(deployment.serviceDeploymentArn, deployment);
      }
    }
    return briefs.flatMap(
      (brief) => observedServiceDeployment(brief, described.get(brief.serviceDeploymentArn ?? '')) ?? [],
    );
  }

  /**
   * The newest stopped task of the deployment that says why it stopped (tasks a deployment starts carry its
   * id in `startedBy`; ECS keeps stopped tasks listed for at least an hour).
   */
  async stoppedTaskReason(started: StartedDeployment): Promise<string | null> {
    const { service } = started;
    const listed = await this.ecs.send(
      new ListTasksCommand({
        cluster: service.clusterArn,
        serviceName: service.serviceName,
        desiredStatus: 'STOPPED',
        maxResults: TASKS_MAX,
      }),
    );
    const arns = listed.taskArns ?? [];
    if (arns.length === 0) return null;
    const answer = await this.ecs.send(
      new DescribeTasksCommand({ cluster: service.clusterArn, tasks: arns }),
    );
    const stopped = (answer.tasks ?? [])
      .filter((task) => task.startedBy === started.deploymentId && (task.stoppedReason ?? '') !== '')
      .sort((a, b) => (millis(b.stoppedAt) ?? 0) - (millis(a.stoppedAt) ?? 0));
    return stopped[0]?.stoppedReason ?? null;
  }
}
