import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { SimulatedEcs } from '../../bench/simulated-ecs.ts';
import { syntheticAccount } from '../../bench/synthetic-account.ts';

const CHANGED = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';

/** A simulator on a clock the test moves, answering at once. */
function simulator(services = 25, clusters = 1) {
  const account = syntheticAccount({ services, clusters, changedSecretArn: CHANGED });
  const clock = { now: 0 };
  const ecs = new SimulatedEcs(account, { latencyMs: 0, now: () => clock.now });
  const cluster = account.clusters[0]?.arn ?? '';
  const taskDefinition = [...account.taskDefinitions.keys()][0] ?? '';
  return { account, clock, ecs, cluster, taskDefinition };
}

describe('SimulatedEcs', () => {
  it('throttles an action once its bucket is empty, and serves it again when a token has refilled', async () => {
    const { clock, ecs, taskDefinition } = simulator();
    const describeTaskDefinition = () => ecs.answer('DescribeTaskDefinition', { taskDefinition });

    const burst = await Promise.all(Array.from({ length: 50 }, describeTaskDefinition));
    const overBurst = await describeTaskDefinition();
    clock.now = 49;
    const tooEarly = await describeTaskDefinition();
    clock.now = 100;
    const refilled = await describeTaskDefinition();

    expect(burst.every((answer) => 'ok' in answer)).toBe(true);
    expect(overBurst).toEqual({ error: 'ThrottlingException', message: 'Rate exceeded', status: 400 });
    expect(tooEarly).toMatchObject({ error: 'ThrottlingException' });
    expect(refilled).toHaveProperty('ok');
    expect(ecs.stats.calls.DescribeTaskDefinition).toEqual({ answered: 51, throttled: 2, refused: 0 });
  });

  it('keeps one bucket per action', async () => {
    const { ecs, cluster, taskDefinition } = simulator();
    for (let call = 0; call < 50; call += 1) await ecs.answer('DescribeTaskDefinition', { taskDefinition });

    const otherAction = await ecs.answer('ListServices', { cluster });

    expect(otherAction).toHaveProperty('ok');
  });

  it('pages ListServices 10 at a time by default, and up to 100 when asked', async () => {
    const { ecs, cluster } = simulator(25);
    const sizes: number[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await ecs.answer('ListServices', {
        cluster,
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      const page = (answer as { ok: { serviceArns: string[]; nextToken?: string } }).ok;
      sizes.push(page.serviceArns.length);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);

    const largest = await ecs.answer('ListServices', { cluster, maxResults: 100 });

    expect(sizes).toEqual([10, 10, 5]);
    expect(largest).toEqual({ ok: { serviceArns: expect.any(Array), nextToken: undefined } });
    expect((largest as { ok: { serviceArns: string[] } }).ok.serviceArns).toHaveLength(25);
  });

  it('refuses a ListServices page larger than 100', async () => {
    const { ecs, cluster } = simulator();

    const answer = await ecs.answer('ListServices', { cluster, maxResults: 101 });

    expect(answer).toMatchObject({ error: 'InvalidParameterException' });
    expect(ecs.stats.calls.ListServices).toEqual({ answered: 0, throttled: 0, refused: 1 });
  });

  it('refuses DescribeServices for more than 10 services and describes 10', async () => {
    const { account, ecs, cluster } = simulator(25);
    const arns = account.clusters[0]?.services.map((service) => service.arn) ?? [];

    const eleven = await ecs.answer('DescribeServices', { cluster, services: arns.slice(0, 11) });
    const ten = await ecs.answer('DescribeServices', { cluster, services: arns.slice(0, 10) });

    expect(eleven).toMatchObject({ error: 'InvalidParameterException' });
    expect((ten as { ok: { services: unknown[] } }).ok.services).toHaveLength(10);
  });

  it('counts each redeploy of a service, so a duplicate shows', async () => {
    const { account, ecs, cluster } = simulator();
    const service = account.clusters[0]?.services[0]?.name;

    await ecs.answer('UpdateService', { cluster, service, forceNewDeployment: true });
    await ecs.answer('UpdateService', { cluster, service, forceNewDeployment: true });

    expect([...ecs.stats.updatesByService.values()]).toEqual([2]);
  });

  it('answers each call, throttled ones too, after its latency', async () => {
    const account = syntheticAccount({ services: 10, clusters: 1, changedSecretArn: CHANGED });
    const waits: number[] = [];
    const ecs = new SimulatedEcs(account, {
      latencyMs: 20,
      buckets: { ListClusters: { burst: 1, perSecond: 1 } },
      now: () => 0,
      sleep: async (ms) => void waits.push(ms),
    });

    await ecs.answer('ListClusters', {});
    await ecs.answer('ListClusters', {});

    expect(waits).toEqual([20, 20]);
    expect(ecs.stats.calls.ListClusters).toEqual({ answered: 1, throttled: 1, refused: 0 });
  });

  it('reaches the real SDK client as a ThrottlingException with HTTP 400', async () => {
    const { ecs, taskDefinition } = simulator();
    const client = new ECSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestHandler: ecs.requestHandler,
    });
    for (let call = 0; call < 50; call += 1)
      await client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));

    const refused = client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));

    await expect(refused).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
