/** Each seeded service's PRIMARY deployment id, read from ECS: a new one means the service was redeployed. */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { DESCRIBE_BATCH } from '../../functions/aws/ecs-inventory.ts';
import type { SeededService } from '../demo-account.ts';
import type { Deployments } from './verdict.ts';

export async function primaryDeployments(
  ecs: ECSClient,
  services: readonly SeededService[],
): Promise<Deployments> {
  const ids = new Map<string, string>();
  const byCluster = new Map<string, SeededService[]>();
  for (const service of services) {
    byCluster.set(service.clusterName, [...(byCluster.get(service.clusterName) ?? []), service]);
  }
  for (const [cluster, members] of byCluster) {
    for (let start = 0; start < members.length; start += DESCRIBE_BATCH) {
      const answer = await ecs.send(
        new DescribeServicesCommand({
          cluster,
          services: members.slice(start, start + DESCRIBE_BATCH).map((service) => service.serviceArn),
        }),
      );
      for (const service of answer.services ?? []) {
        const primary =
          service.deployments?.find((deployment) => deployment.status === 'PRIMARY') ??
          service.deployments?.[0];
        ids.set(service.serviceArn ?? '', primary?.id ?? '(none)');
      }
    }
  }
  return ids;
}
