import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { redeployForChange } from '../../functions/app/handle-change.ts';
import { ClusterInventory, TaggedInventory } from '../../functions/aws/ecs-inventory.ts';
import { EcsRedeployer } from '../../functions/aws/ecs-redeployer.ts';
import { EcsTaskDefinitions } from '../../functions/aws/task-definitions.ts';
import { parseEvent } from '../../functions/core/change.ts';
import { ACCOUNT, clusterArn, type FakeService, fakeEcs, REGION, serviceArn } from '../support/fake-ecs.ts';

const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-AbCdEf`;
const taskDefinition = (index: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/td${index}:1`;

/** 3 clusters of 250, 9 and 0 services; every 5th task definition references the secret; 4 services share one. */
function account() {
  const clusters = ['alpha', 'beta', 'gamma'];
  const services: FakeService[] = [];
  for (let index = 0; index < 250; index += 1)
    services.push({
      cluster: 'alpha',
      name: `a${index}`,
      taskDefinition: taskDefinition(Math.floor(index / 4)),
    });
  for (let index = 0; index < 9; index += 1)
    services.push({ cluster: 'beta', name: `b${index}`, taskDefinition: taskDefinition(1000 + index) });
  const secretsOf = (arn: string) => (Number(arn.match(/td(\d+)/)?.[1]) % 5 === 0 ? [SECRET] : ['/other']);
  return { clusters, services, secretsOf };
}

const change = parseEvent({
  source: 'aws.secretsmanager',
  'detail-type': 'Secret Label Updated',
  account: ACCOUNT,
  region: REGION,
  resources: [SECRET],
  detail: { name: 'prod/db', labelUpdated: 'AWSCURRENT', versionId: 'v2' },
});

afterEach(() => {
  mockClient(ECSClient).restore();
});

describe('ClusterInventory', () => {
  it('lists every service of every cluster with the fewest calls: 100 a list page, 10 a describe', async () => {
    const { clusters, services, secretsOf } = account();
    const ecs = fakeEcs(clusters, services, secretsOf);
    const inventory = new ClusterInventory(new ECSClient({ region: REGION }));

    const seen = [];
    for await (const service of inventory.services()) seen.push(service.serviceName);

    expect(seen).toHaveLength(259);
    expect(new Set(seen).size).toBe(259);
    expect(inventory.clustersScanned).toBe(3);
    expect(ecs).toHaveReceivedCommandTimes(ListClustersCommand, 1);
    // alpha: 3 pages (100, 100, 50); beta: 1; gamma: 1 (empty)
    expect(ecs).toHaveReceivedCommandTimes(ListServicesCommand, 5);
    expect(ecs).toHaveReceivedCommandWith(ListServicesCommand, { maxResults: 100 });
    // ceil(250/10) + ceil(9/10); nothing for the empty cluster
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 26);
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, { include: ['TAGS'] });
  });

  it('keeps only the listed cluster’s services when an answer mixes clusters', async () => {
    const ecs = mockClient(ECSClient);
    ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('cl-1')] });
    ecs
      .on(ListServicesCommand)
      .resolves({ serviceArns: [serviceArn('cl-1', 'mine'), serviceArn('xcl-1', 'theirs')] });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn: serviceArn('cl-1', 'mine'),
          serviceName: 'mine',
          status: 'ACTIVE',
          taskDefinition: taskDefinition(1),
        },
      ],
    });

    const seen = [];
    for await (const service of new ClusterInventory(new ECSClient({ region: REGION })).services())
      seen.push(service);

    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      services: [serviceArn('cl-1', 'mine')],
    });
    expect(seen.map((service) => service.serviceName)).toEqual(['mine']);
  });

  it('leaves out services that are not ACTIVE', async () => {
    const ecs = mockClient(ECSClient);
    ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('main')] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('main', 'a'), serviceArn('main', 'b')] });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn: serviceArn('main', 'a'),
          serviceName: 'a',
          status: 'DRAINING',
          taskDefinition: taskDefinition(1),
        },
        {
          serviceArn: serviceArn('main', 'b'),
          serviceName: 'b',
          status: 'ACTIVE',
          taskDefinition: taskDefinition(1),
        },
      ],
    });

    const seen = [];
    for await (const service of new ClusterInventory(new ECSClient({ region: REGION })).services())
      seen.push(service.serviceName);

    expect(seen).toEqual(['b']);
  });
});

describe('TaggedInventory', () => {
  it('finds tagged services with GetResources and describes them grouped by cluster, 10 a call', async () => {
    const { clusters, services, secretsOf } = account();
    const ecs = fakeEcs(clusters, services, secretsOf);
    const tagging = mockClient(ResourceGroupsTaggingAPIClient);
    const tagged = [...services.slice(0, 23), ...services.slice(250, 253)].map((entry) =>
      serviceArn(entry.cluster, entry.name),
    );
    tagging
      .on(GetResourcesCommand)
      .resolvesOnce({
        ResourceTagMappingList: tagged.slice(0, 20).map((ResourceARN) => ({ ResourceARN })),
        PaginationToken: 'p2',
      })
      .resolvesOnce({
        ResourceTagMappingList: [
          ...tagged.slice(20).map((ResourceARN) => ({ ResourceARN })),
          { ResourceARN: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/old-format` },
        ],
        PaginationToken: '',
      });
    const unplaceable: string[] = [];
    const inventory = new TaggedInventory(
      new ECSClient({ region: REGION }),
      new ResourceGroupsTaggingAPIClient({ region: REGION }),
      (arn) => unplaceable.push(arn),
    );

    const seen = [];
    for await (const service of inventory.services()) seen.push(service.serviceName);

    expect(seen).toHaveLength(26);
    expect(tagging).toHaveReceivedCommandTimes(GetResourcesCommand, 2);
    expect(tagging).toHaveReceivedCommandWith(GetResourcesCommand, {
      ResourceTypeFilters: ['ecs:service'],
      TagFilters: [{ Key: 'rotation-redeploy', Values: ['on'] }],
    });
    // alpha: ceil(23/10) = 3, beta: 1
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 4);
    expect(ecs).not.toHaveReceivedCommand(ListServicesCommand);
    expect(unplaceable).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:service/old-format`]);
    expect(inventory.clustersScanned).toBe(2);
    tagging.restore();
  });
});

describe('EcsTaskDefinitions', () => {
  it('describes each task definition once, however often and concurrently it is asked for', async () => {
    const ecs = mockClient(ECSClient);
    ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input) => ({
      taskDefinition: {
        taskDefinitionArn: input.taskDefinition,
        containerDefinitions: [{ name: 'app', secrets: [{ name: 'S', valueFrom: SECRET }] }],
      },
    }));
    const reader = new EcsTaskDefinitions(new ECSClient({ region: REGION }));

    const answers = await Promise.all(
      [1, 1, 2, 1, 2].map((index) => reader.referencesOf(taskDefinition(index))),
    );
    await reader.referencesOf(taskDefinition(1));

    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
    expect(answers[0]?.references[0]?.valueFrom).toBe(SECRET);
  });

  it('asks again after a failed read instead of caching the failure', async () => {
    const ecs = mockClient(ECSClient);
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejectsOnce(new Error('connection reset'))
      .resolves({ taskDefinition: { taskDefinitionArn: taskDefinition(1), containerDefinitions: [] } });
    const reader = new EcsTaskDefinitions(new ECSClient({ region: REGION }));

    await expect(reader.referencesOf(taskDefinition(1))).rejects.toThrow('connection reset');
    await expect(reader.referencesOf(taskDefinition(1))).resolves.toEqual({ references: [], malformed: [] });
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
  });
});

describe('EcsRedeployer', () => {
  it('forces a new deployment with only cluster and service, and returns the PRIMARY deployment id', async () => {
    const ecs = mockClient(ECSClient);
    ecs.on(UpdateServiceCommand).resolves({
      service: {
        deployments: [
          { id: 'ecs-svc/1', status: 'ACTIVE' },
          { id: 'ecs-svc/2', status: 'PRIMARY' },
        ],
      },
    });
    const redeployer = new EcsRedeployer(new ECSClient({ region: REGION }));

    const result = await redeployer.redeploy({
      serviceArn: serviceArn('main', 'api'),
      serviceName: 'api',
      clusterArn: clusterArn('main'),
    });

    expect(result).toEqual({ deploymentId: 'ecs-svc/2' });
    const input = ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input;
    expect(input).toEqual({
      cluster: clusterArn('main'),
      service: serviceArn('main', 'api'),
      forceNewDeployment: true,
    });
  });
});

describe('a whole scan through the adapters', () => {
  it('makes the fewest calls a scan of the account needs and redeploys exactly the matching services', async () => {
    const { clusters, services, secretsOf } = account();
    const ecs = fakeEcs(clusters, services, secretsOf);
    const client = new ECSClient({ region: REGION });
    const ports = {
      inventory: new ClusterInventory(client),
      taskDefinitions: new EcsTaskDefinitions(client),
      delivery: { kind: 'direct' as const, redeployer: new EcsRedeployer(client) },
    };

    const report = await redeployForChange(change, ports, { dryRun: false, concurrency: 8 });

    const distinctTaskDefinitions = new Set(services.map((entry) => entry.taskDefinition));
    const matching = services.filter((entry) => secretsOf(entry.taskDefinition).includes(SECRET));
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, distinctTaskDefinitions.size);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, matching.length);
    expect(report.summary).toMatchObject({
      matched: matching.length,
      redeployed: matching.length,
      failed: 0,
    });
    expect(report.scanned).toEqual({
      clusters: 3,
      services: 259,
      taskDefinitions: distinctTaskDefinitions.size,
    });
    expect(report.services.every((entry) => entry.deploymentId?.startsWith('ecs-svc/new'))).toBe(true);
  });

  it('reports the one service whose UpdateService keeps failing and redeploys the rest', async () => {
    const { clusters, services, secretsOf } = account();
    const ecs = fakeEcs(clusters, services, secretsOf);
    ecs
      .on(UpdateServiceCommand, { service: serviceArn('alpha', 'a0') })
      .rejects(Object.assign(new Error('The service is draining'), { name: 'ServiceNotActiveException' }));
    const client = new ECSClient({ region: REGION });

    const report = await redeployForChange(
      change,
      {
        inventory: new ClusterInventory(client),
        taskDefinitions: new EcsTaskDefinitions(client),
        delivery: { kind: 'direct' as const, redeployer: new EcsRedeployer(client) },
      },
      { dryRun: false, concurrency: 8 },
    );

    expect(report.services.find((entry) => entry.serviceName === 'a0')).toMatchObject({
      action: 'failed',
      reason: 'ServiceNotActiveException: The service is draining',
    });
    expect(report.summary.failed).toBe(1);
    expect(report.summary.redeployed).toBe(report.summary.matched - 1);
  });
});
