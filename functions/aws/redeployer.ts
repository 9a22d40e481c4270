/** UpdateService with forceNewDeployment: a new deployment of the service's current task definition. */
import { type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Service } from '../core/plan.ts';
import type { Redeployer } from '../core/ports.ts';

export class EcsRedeployer implements Redeployer {
  constructor(private readonly ecs: ECSClient) {}

  async redeploy(service: Service): Promise<{ deploymentId: string | null }> {
    // Only cluster and service: passing a task definition family would move the service to its latest revision.
    const answer = await this.ecs.send(
      new UpdateServiceCommand({
        cluster: service.clusterArn,
        service: service.serviceName,
        forceNewDeployment: true,
      }),
    );
    const deployments = answer.service?.deployments ?? [];
    const primary = deployments.find((deployment) => deployment.status === 'PRIMARY') ?? deployments[0];
    return { deploymentId: primary?.id ?? null };
  }
}
