import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto.ts';
import { type Seeder, seeder } from '../support/seed.ts';

describe('emulator test support', () => {
  let moto: MotoServer;
  let seed: Seeder;
  let secretArn: string;
  let taskDefinitionArn: string;
  let serviceArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    seed = seeder(moto.endpoint);
    await seed.createCluster('orders');
    ({ arn: secretArn } = await seed.createSecret('orders/db', 'first-password'));
    await seed.putParameter('/orders/api-key', 'first-key');
    taskDefinitionArn = await seed.registerTaskDefinition({
      family: 'orders-api',
      containers: [
        {
          name: 'app',
          secrets: [
            { name: 'DB_PASSWORD', valueFrom: secretArn },
            { name: 'API_KEY', valueFrom: '/orders/api-key' },
          ],
          environment: { LOG_LEVEL: 'info' },
        },
        {
          name: 'log-router',
          secretOptions: [{ name: 'apikey', valueFrom: '/orders/api-key' }],
        },
      ],
    });
    serviceArn = await seed.createService({
      cluster: 'orders',
      name: 'orders-api',
      taskDefinition: taskDefinitionArn,
      desiredCount: 1,
      tags: { team: 'payments', env: 'test' },
    });
  });

  afterAll(async () => {
    seed?.destroy();
    await moto?.stop();
  });

  it('serves on a loopback port', () => {
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates the service under its long-format ARN in the default account', () => {
    expect(serviceArn).toBe(`arn:aws:ecs:us-east-1:${MOTO_ACCOUNT_ID}:service/orders/orders-api`);
  });

  it('describes the seeded service with its tags and task definition', async () => {
    const out = await seed.clients.ecs.send(
      new DescribeServicesCommand({ cluster: 'orders', services: ['orders-api'], include: ['TAGS'] }),
    );

    expect(out.failures).toEqual([]);
    expect(out.services).toHaveLength(1);
    const service = out.services?.[0];
    expect(service?.serviceArn).toBe(serviceArn);
    expect(service?.status).toBe('ACTIVE');
    expect(service?.taskDefinition).toBe(taskDefinitionArn);
    expect(service?.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'payments' },
        { key: 'env', value: 'test' },
      ]),
    );
    expect(service?.tags).toHaveLength(2);
  });

  it('registers the secret references of every container', async () => {
    const out = await seed.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
    );
    const [app, logRouter] = out.taskDefinition?.containerDefinitions ?? [];

    expect(app?.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: secretArn },
      { name: 'API_KEY', valueFrom: '/orders/api-key' },
    ]);
    expect(app?.environment).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    expect(logRouter?.logConfiguration?.logDriver).toBe('awslogs');
    expect(logRouter?.logConfiguration?.secretOptions).toEqual([
      { name: 'apikey', valueFrom: '/orders/api-key' },
    ]);
  });

  it('gives the service a new deployment id after a forced new deployment', async () => {
    const before = await seed.deploymentIdOf('orders', 'orders-api');

    const out = await seed.clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'orders', service: 'orders-api', forceNewDeployment: true }),
    );

    const after = await seed.deploymentIdOf('orders', 'orders-api');
    expect(before).toMatch(/^ecs-svc\/\d+$/);
    expect(after).toMatch(/^ecs-svc\/\d+$/);
    expect(after).not.toBe(before);
    expect(out.service?.deployments?.[0]?.id).toBe(after);
    expect(out.service?.taskDefinition).toBe(taskDefinitionArn);
  });
});
