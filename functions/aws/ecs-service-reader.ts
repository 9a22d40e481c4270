/** One service as ECS has it now, tags included: DescribeServices by the service's ARN in its cluster. */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { ServiceReader } from '../core/ports.ts';
import type { Service, ServiceRef } from '../core/service.ts';
import { toService } from './ecs-inventory.ts';

export class EcsServiceReader implements ServiceReader {
  constructor(private readonly ecs: ECSClient) {}

  async current(service: ServiceRef): Promise<Service | null> {
    // By ARN, never by name: the name is only what a message says.
    const answer = await this.ecs.send(
      new DescribeServicesCommand({
        cluster: service.clusterArn,
        services: [service.serviceArn],
        include: ['TAGS'],
      }),
    );
    const described = answer.services?.find((entry) => entry.serviceArn === service.serviceArn);
    return described === undefined ? null : toService(described, service.clusterArn);
  }
}
