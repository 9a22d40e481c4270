/**
 * Which CodeDeploy deployment group deploys which ECS service. A deployment group of the ECS compute platform
 * lists its service in `ecsServices` as `{serviceName, clusterName}`; nothing on the service points back, so the
 * map is built from every group of every application.
 */

/** The part of GetDeploymentGroup's / BatchGetDeploymentGroups' `deploymentGroupInfo` this module reads. */
export interface DeploymentGroupInfo {
  readonly applicationName?: string | undefined;
  readonly deploymentGroupName?: string | undefined;
  readonly deploymentConfigName?: string | undefined;
  readonly ecsServices?:
    | readonly { readonly serviceName?: string | undefined; readonly clusterName?: string | undefined }[]
    | undefined;
}

/** The deployment group a CodeDeploy deployment of one service goes to. */
export interface DeploymentGroupRef {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  /** How the group shifts traffic (`CodeDeployDefault.ECSAllAtOnce`, a canary, ...); null when unknown. */
  readonly deploymentConfigName: string | null;
}

/** A service as deployment groups name it: cluster and service names (ECS names are unique per cluster). */
export function serviceKey(clusterName: string, serviceName: string): string {
  return `${clusterName}/${serviceName}`;
}

/**
 * Service key → its deployment group. CodeDeploy lets a service belong to one deployment group only; should two
 * groups ever list one service, the first in name order wins, so the answer does not depend on listing order.
 */
export function indexByService(groups: readonly DeploymentGroupInfo[]): Map<string, DeploymentGroupRef> {
  const index = new Map<string, DeploymentGroupRef>();
  const named = groups.flatMap((group) =>
    group.applicationName === undefined || group.deploymentGroupName === undefined
      ? []
      : [
          {
            ...group,
            applicationName: group.applicationName,
            deploymentGroupName: group.deploymentGroupName,
          },
        ],
  );
  named.sort((a, b) =>
    `${a.applicationName}/${a.deploymentGroupName}`.localeCompare(
      `${b.applicationName}/${b.deploymentGroupName}`,
    ),
  );
  for (const group of named) {
    for (const { serviceName, clusterName } of group.ecsServices ?? []) {
      if (serviceName === undefined || clusterName === undefined) continue;
      const key = serviceKey(clusterName, serviceName);
      if (index.has(key)) continue;
      index.set(key, {
        applicationName: group.applicationName,
        deploymentGroupName: group.deploymentGroupName,
        deploymentConfigName: group.deploymentConfigName ?? null,
      });
    }
  }
  return index;
}
