/**
 * The AppSpec of a CodeDeploy deployment that starts a new set of a service's tasks, as they run now.
 *
 * CodeDeploy launches the replacement task set from the AppSpec alone: whatever it leaves out takes
 * CodeDeploy's default, not the service's current value. So it names the service's current task definition,
 * its load balancer's container and port, and, where the service has them, its capacity provider strategy
 * (left out, a Spot service moves to on-demand capacity), platform version and network configuration.
 */
import { AppSpecError } from './errors.ts';
import type { TaskSetLaunch } from './service.ts';

/** The AppSpec's `TargetService.Properties`, in CodeDeploy's spelling. */
export interface TargetServiceProperties {
  readonly TaskDefinition: string;
  readonly LoadBalancerInfo: { readonly ContainerName: string; readonly ContainerPort: number };
  readonly PlatformVersion?: string;
  readonly NetworkConfiguration?: {
    readonly AwsvpcConfiguration: {
      readonly Subnets: readonly string[];
      readonly SecurityGroups?: readonly string[];
      readonly AssignPublicIp?: 'ENABLED' | 'DISABLED';
    };
  };
  readonly CapacityProviderStrategy?: readonly {
    readonly CapacityProvider: string;
    readonly Weight?: number;
    readonly Base?: number;
  }[];
}

export interface AppSpec {
  readonly version: 0.0;
  readonly Resources: readonly [
    {
      readonly TargetService: {
        readonly Type: 'AWS::ECS::Service';
        readonly Properties: TargetServiceProperties;
      };
    },
  ];
}

/** The AppSpec that deploys `taskDefinitionArn` the way the service's tasks are launched now. */
export function appSpecFor(service: {
  readonly serviceArn: string;
  readonly taskDefinitionArn: string;
  readonly launch: TaskSetLaunch;
}): AppSpec {
  const { launch } = service;
  // CodeDeploy shifts traffic between the target groups of one load balancer, so an ECS deployment group's
  // service always has one; the container and port it routes to are part of every AppSpec.
  const balanced = launch.loadBalancers.flatMap(({ containerName, containerPort }) =>
    containerName === null || containerPort === null ? [] : [{ containerName, containerPort }],
  )[0];
  if (balanced === undefined) {
    throw new AppSpecError(
      `${service.serviceArn} has no load balancer with a container name and port, which a CodeDeploy deployment must name`,
    );
  }
  const network = launch.networkConfiguration;
  const properties: TargetServiceProperties = {
    TaskDefinition: service.taskDefinitionArn,
    LoadBalancerInfo: { ContainerName: balanced.containerName, ContainerPort: balanced.containerPort },
    ...(launch.platformVersion === null ? {} : { PlatformVersion: launch.platformVersion }),
    ...(network === null
      ? {}
      : {
          NetworkConfiguration: {
            AwsvpcConfiguration: {
              Subnets: [...network.subnets],
              ...(network.securityGroups.length === 0 ? {} : { SecurityGroups: [...network.securityGroups] }),
              ...(network.assignPublicIp === null ? {} : { AssignPublicIp: network.assignPublicIp }),
            },
          },
        }),
    ...(launch.capacityProviderStrategy.length === 0
      ? {}
      : {
          CapacityProviderStrategy: launch.capacityProviderStrategy.map((item) => ({
            CapacityProvider: item.capacityProvider,
            ...(item.weight === null ? {} : { Weight: item.weight }),
            ...(item.base === null ? {} : { Base: item.base }),
          })),
        }),
  };
  return {
    version: 0.0,
    Resources: [{ TargetService: { Type: 'AWS::ECS::Service', Properties: properties } }],
  };
}

/**
 * The AppSpec as CreateDeployment's `appSpecContent.content` takes it. JSON is valid AppSpec; the version is
 * written `0.0`, the one value CodeDeploy documents, since JSON.stringify would write the number as `0`.
 */
export function appSpecContent(appSpec: AppSpec): string {
  const { version: _, ...rest } = appSpec;
  return `{"version":0.0,${JSON.stringify(rest).slice(1)}`;
}
