/**
 * How a described ECS service launches its tasks, read from DescribeServices: what a CodeDeploy AppSpec must
 * repeat, and the deployment strategy of an ECS-controlled service.
 */
import type { Service as EcsService, TaskSet } from '@aws-sdk/client-ecs';
import type { DeploymentStrategy, TaskSetLaunch } from '../core/service.ts';

const STRATEGIES: readonly DeploymentStrategy[] = ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY'];

/** The service's `deploymentConfiguration.strategy`; a service without one (or one unknown here) rolls. */
export function strategyOf(described: Pick<EcsService, 'deploymentConfiguration'>): DeploymentStrategy {
  const strategy = described.deploymentConfiguration?.strategy;
  return STRATEGIES.find((known) => known === strategy) ?? 'ROLLING';
}

type LaunchFields = Pick<
  TaskSet,
  'loadBalancers' | 'capacityProviderStrategy' | 'platformVersion' | 'networkConfiguration'
>;

/**
 * The launch of the service's current tasks. A service on the CODE_DEPLOY or EXTERNAL controller runs task sets,
 * and its PRIMARY task set is what serves now (a deployment's AppSpec may have changed it since the service was
 * created), so its values win; the service's own fields are the fallback, and for load balancers also when the
 * task set lists none.
 */
export function launchOf(described: EcsService): TaskSetLaunch {
  const primary = described.taskSets?.find((taskSet) => taskSet.status === 'PRIMARY');
  const source: LaunchFields = primary ?? described;
  const loadBalancers =
    (primary?.loadBalancers ?? []).length > 0
      ? (primary?.loadBalancers ?? [])
      : (described.loadBalancers ?? []);
  const awsvpc = source.networkConfiguration?.awsvpcConfiguration;
  return {
    loadBalancers: loadBalancers.map((balancer) => ({
      containerName: balancer.containerName ?? null,
      containerPort: balancer.containerPort ?? null,
    })),
    capacityProviderStrategy: (source.capacityProviderStrategy ?? [])
      .map((item) => ({
        capacityProvider: item.capacityProvider ?? '',
        weight: item.weight ?? null,
        base: item.base ?? null,
      }))
      .filter((item) => item.capacityProvider !== ''),
    platformVersion: source.platformVersion ?? null,
    networkConfiguration:
      awsvpc?.subnets === undefined || awsvpc.subnets.length === 0
        ? null
        : {
            subnets: awsvpc.subnets,
            securityGroups: awsvpc.securityGroups ?? [],
            assignPublicIp: awsvpc.assignPublicIp ?? null,
          },
  };
}
