/** An ECS service as the tool sees it, and the rules that concern the service itself. */
import { OPT_TAG_KEY } from '../contract.ts';
import type { DeploymentGroupRef } from './deployment-groups.ts';

/** The values of the OPT_TAG_KEY tag (contract.ts): `on` opts a service in (selection `tagged`), `off` out. */
export const OPT_IN = 'on';
export const OPT_OUT = 'off';

/** The part of a service a redeploy needs: enough to start its deployment and to key its bookkeeping. */
export interface ServiceRef {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
  /** A CODE_DEPLOY service's deployment group: the redeploy is a CodeDeploy deployment to it. */
  readonly codeDeployGroup?: DeploymentGroupRef | undefined;
}

/**
 * A service to redeploy. A deployment counts as the tool's only when it did not exist before the tool acted,
 * so the ids ECS listed before come along where the scan read them; where they are not known (a queued
 * message), the redeployer reads them before its first attempt.
 */
export interface RedeployTarget extends ServiceRef {
  readonly deploymentIds?: readonly string[] | undefined;
}

/** ECS's deployment strategies (`deploymentConfiguration.strategy`); a service without one rolls. */
export type DeploymentStrategy = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';

/** How the service's current tasks were launched: what a CodeDeploy AppSpec must repeat for new ones. */
export interface TaskSetLaunch {
  /** The service's load balancers; CodeDeploy routes traffic to the first one's container and port. */
  readonly loadBalancers: readonly {
    readonly containerName: string | null;
    readonly containerPort: number | null;
  }[];
  /** Empty when the service runs on a launch type instead. */
  readonly capacityProviderStrategy: readonly {
    readonly capacityProvider: string;
    readonly weight: number | null;
    readonly base: number | null;
  }[];
  /** Fargate only; null elsewhere. */
  readonly platformVersion: string | null;
  /** `awsvpc` network mode only; null elsewhere. */
  readonly networkConfiguration: {
    readonly subnets: readonly string[];
    readonly securityGroups: readonly string[];
    readonly assignPublicIp: 'ENABLED' | 'DISABLED' | null;
  } | null;
}

/** A service launched with nothing beyond its task definition: no load balancer, strategy or network. */
export const PLAIN_LAUNCH: TaskSetLaunch = {
  loadBalancers: [],
  capacityProviderStrategy: [],
  platformVersion: null,
  networkConfiguration: null,
};

/** What the tool knows about an ECS service; the inventory adapters fill it from DescribeServices. */
export interface Service extends RedeployTarget {
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  /** `ECS` (also when ECS reports none), `CODE_DEPLOY` or `EXTERNAL`. */
  readonly deploymentController: string;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * When its newest deployment (or task set) was created, epoch milliseconds: its tasks read their secrets
   * after that. Null when ECS reported none.
   */
  readonly deployedAt: number | null;
  /** ECS's deployment strategy: forced deployments of every strategy are started with UpdateService. */
  readonly deploymentStrategy: DeploymentStrategy;
  /** How its tasks launch now (its PRIMARY task set's values, where it runs task sets). */
  readonly launch: TaskSetLaunch;
}

/** Why a service's deployment controller keeps the tool from starting a deployment. */
export type ControllerSkip =
  /** EXTERNAL: its task sets belong to whatever manages them. */
  | 'external'
  /** CODE_DEPLOY, and no CodeDeploy deployment group lists it. */
  | 'no-deployment-group'
  /** CODE_DEPLOY, and CodeDeploy deployments are turned off (context `codeDeploy`). */
  | 'codedeploy-off';

/**
 * What is known of a CODE_DEPLOY service's deployment group: the group, null when no group lists the service,
 * or `off` when CodeDeploy deployments are turned off (or were not looked up).
 */
export type CodeDeployGroupLookup = DeploymentGroupRef | null | 'off';

/** How a new deployment of a service is started: UpdateService, or a CodeDeploy deployment to its group. */
export type RedeployPath =
  | { readonly via: 'ecs'; readonly strategy: DeploymentStrategy }
  | { readonly via: 'codedeploy'; readonly group: DeploymentGroupRef };

/** How a new deployment of a service is started, or why the tool cannot start one. */
export type DeployPath = RedeployPath | { readonly via: null; readonly controllerSkip: ControllerSkip };

/** Why the service's deployment controller keeps the tool from starting a deployment; null when it does not. */
export function controllerSkipOf(
  service: Pick<Service, 'deploymentController'>,
  group: CodeDeployGroupLookup = 'off',
): ControllerSkip | null {
  if (service.deploymentController === 'ECS') return null;
  if (service.deploymentController !== 'CODE_DEPLOY') return 'external';
  if (group === 'off') return 'codedeploy-off';
  return group === null ? 'no-deployment-group' : null;
}

/**
 * An ECS-controlled service is forced with UpdateService, whatever its strategy; a CODE_DEPLOY one gets a
 * CodeDeploy deployment to the group that lists it; an EXTERNAL one is left to whatever runs its task sets.
 */
export function deployPathOf(
  service: Pick<Service, 'deploymentController' | 'deploymentStrategy'>,
  group: CodeDeployGroupLookup = 'off',
): DeployPath {
  const controllerSkip = controllerSkipOf(service, group);
  if (controllerSkip !== null) return { via: null, controllerSkip };
  if (service.deploymentController === 'CODE_DEPLOY' && group !== 'off' && group !== null) {
    return { via: 'codedeploy', group };
  }
  return { via: 'ecs', strategy: service.deploymentStrategy };
}

/** Why a service is left alone whatever changed: the operator's intent first, then what ECS can do. */
export type ServiceSkipReason =
  /** Tagged `rotation-redeploy=off`: the operator's word comes first. */
  | 'opted-out'
  /** EXTERNAL, or CODE_DEPLOY without a deployment group (or with CodeDeploy deployments turned off). */
  | 'deployment-controller'
  /** No task runs; the next one to start reads the new value anyway. */
  | 'scaled-to-zero';

/** Tagged `rotation-redeploy=off`, in any case of its value. */
export function isOptedOut(service: Pick<Service, 'tags'>): boolean {
  return service.tags[OPT_TAG_KEY]?.toLowerCase() === OPT_OUT;
}

export function serviceSkipReason(
  service: Pick<Service, 'tags' | 'deploymentController' | 'desiredCount'>,
  group: CodeDeployGroupLookup = 'off',
): ServiceSkipReason | null {
  if (isOptedOut(service)) return 'opted-out';
  if (controllerSkipOf(service, group) !== null) return 'deployment-controller';
  if (service.desiredCount === 0) return 'scaled-to-zero';
  return null;
}
