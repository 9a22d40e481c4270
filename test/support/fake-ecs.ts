/**
 * An ECS account simulated behind aws-sdk-client-mock, enforcing the limits the emulator ignores:
 * ListServices pages (default 10, at most 100), DescribeServices at most 10 services a call.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  ListClustersCommand,
  ListServicesCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface FakeService {
  readonly cluster: string;
  readonly name: string;
  readonly taskDefinition: string;
  readonly tags?: Record<string, string>;
}

export const clusterArn = (cluster: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`;
export const serviceArn = (cluster: string, name: string) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;

function page<T>(
  items: readonly T[],
  token: string | undefined,
  size: number,
): { items: T[]; next?: string } {
  const start = token === undefined ? 0 : Number(token);
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

const invalid = (message: string) => new InvalidParameterException({ message, $metadata: {} });

/** `secretsOf(taskDefinitionArn)` gives each task definition's single container secrets. */
export function fakeEcs(
  clusters: readonly string[],
  services: readonly FakeService[],
  secretsOf: (taskDefinitionArn: string) => string[],
) {
  const ecs = mockClient(ECSClient);
  ecs.on(ListClustersCommand).callsFake((input) => {
    const { items, next } = page(clusters.map(clusterArn), input.nextToken, input.maxResults ?? 100);
    return { clusterArns: items, nextToken: next };
  });
  ecs.on(ListServicesCommand).callsFake((input) => {
    const size = input.maxResults ?? 10;
    if (size < 1 || size > 100) throw invalid('maxResults must be between 1 and 100');
    const name = String(input.cluster).slice(String(input.cluster).lastIndexOf('/') + 1);
    const arns = services
      .filter((entry) => entry.cluster === name)
      .map((entry) => serviceArn(entry.cluster, entry.name));
    const { items, next } = page(arns, input.nextToken, size);
    return { serviceArns: items, nextToken: next };
  });
  ecs.on(DescribeServicesCommand).callsFake((input) => {
    if ((input.services ?? []).length > 10) throw invalid('services can have at most 10 items');
    return {
      services: (input.services ?? []).map((arn: string) => {
        const found = services.find((entry) => serviceArn(entry.cluster, entry.name) === arn);
        if (found === undefined) throw new Error(`unknown service ${arn}`);
        return {
          serviceArn: arn,
          serviceName: found.name,
          clusterArn: clusterArn(found.cluster),
          status: 'ACTIVE',
          desiredCount: 1,
          taskDefinition: found.taskDefinition,
          deploymentController: { type: 'ECS' as const },
          tags: input.include?.includes('TAGS')
            ? Object.entries(found.tags ?? {}).map(([key, value]) => ({ key, value }))
            : undefined,
        };
      }),
      failures: [],
    };
  });
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input) => ({
    taskDefinition: {
      taskDefinitionArn: input.taskDefinition,
      containerDefinitions: [
        {
          name: 'app',
          secrets: secretsOf(String(input.taskDefinition)).map((valueFrom) => ({ name: 'S', valueFrom })),
        },
      ],
    },
  }));
  let deployments = 0;
  ecs.on(UpdateServiceCommand).callsFake((input) => {
    deployments += 1;
    return {
      service: {
        serviceName: input.service,
        deployments: [
          { id: `ecs-svc/old${deployments}`, status: 'ACTIVE' },
          { id: `ecs-svc/new${deployments}`, status: 'PRIMARY' },
        ],
      },
    };
  });
  return ecs;
}
