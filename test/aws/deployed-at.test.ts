/** The inventory tells when each service's newest deployment was made: what the audit compares value changes with. */
import {
  DescribeServicesCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterInventory } from '../../functions/aws/ecs-inventory.ts';

const ecs = mockClient(ECSClient);
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/main';
const arn = (name: string) => `arn:aws:ecs:us-east-1:123456789012:service/main/${name}`;
const described = (name: string, extra: object) => ({
  serviceArn: arn(name),
  serviceName: name,
  status: 'ACTIVE',
  desiredCount: 1,
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:1',
  ...extra,
});

afterEach(() => ecs.reset());

describe('ClusterInventory deployedAt', () => {
  it.each([
    [
      'the newest of its deployments (a rollout still replacing an older one)',
      {
        deployments: [
          { id: 'ecs-svc/2', status: 'PRIMARY', createdAt: new Date('2025-01-02T00:00:00Z') },
          { id: 'ecs-svc/1', status: 'ACTIVE', createdAt: new Date('2025-01-01T00:00:00Z') },
        ],
      },
      Date.parse('2025-01-02T00:00:00Z'),
    ],
    [
      'the newest task set of a CODE_DEPLOY service',
      {
        deploymentController: { type: 'CODE_DEPLOY' },
        deployments: [],
        taskSets: [{ id: 'ecs-svc/ts', createdAt: new Date('2025-01-03T00:00:00Z') }],
      },
      Date.parse('2025-01-03T00:00:00Z'),
    ],
    ['nothing when ECS reports neither', { deployments: [] }, null],
  ])('is %s', async (_, extra, expected) => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: [arn('api')] });
    ecs.on(DescribeServicesCommand).resolves({ services: [described('api', extra)] });

    const services = [];
    for await (const service of new ClusterInventory(new ECSClient({ region: 'us-east-1' })).services())
      services.push(service);

    expect(services.map((service) => service.deployedAt)).toEqual([expected]);
  });
});
