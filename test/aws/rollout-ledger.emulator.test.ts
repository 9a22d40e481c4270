import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoRolloutLedger } from '../../functions/aws/rollout-ledger.ts';
import type { ReportedChange } from '../../functions/core/report.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';

let moto: MotoServer;
let client: DynamoDBClient;
let ledger: DynamoRolloutLedger;

const T0 = 1_800_000_000_000;
const DEADLINE = T0 + 3_600_000;
const ref = (name: string) => ({
  serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/prod/${name}`,
  serviceName: name,
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
});
const change: ReportedChange = {
  kind: 'ssm',
  arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/db-password',
  name: '/prod/db-password',
  account: '123456789012',
  region: 'us-east-1',
  label: null,
  versionId: '7',
  trigger: 'Parameter Store Change',
};

beforeAll(async () => {
  moto = await startMoto();
  client = new DynamoDBClient(awsClientConfig(moto.endpoint));
});
afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  await createStateTable(client, 'state');
  ledger = new DynamoRolloutLedger(client, 'state');
});

describe('DynamoRolloutLedger on the emulator', () => {
  it('keeps each started deployment by its id, with an expiry a day past its deadline', async () => {
    await ledger.recordStart({
      started: { service: ref('api'), deploymentId: 'ecs-svc/1', via: 'ecs', startedAt: T0 },
      changeKeys: ['k1', 'k2'],
      deadline: DEADLINE,
    });

    const tracked = await ledger.tracked('ecs-svc/1');
    const unknown = await ledger.tracked('ecs-svc/someone-elses');
    const raw = await client.send(
      new GetItemCommand({ TableName: 'state', Key: { id: { S: 'deployment#ecs-svc/1' } } }),
    );

    expect(tracked).toEqual({
      started: { service: ref('api'), deploymentId: 'ecs-svc/1', via: 'ecs', startedAt: T0 },
      changeKeys: ['k1', 'k2'],
      deadline: DEADLINE,
    });
    expect(unknown).toBeNull();
    expect(Number(raw.Item?.expiration?.N)).toBe(Math.floor(DEADLINE / 1000) + 24 * 3600);
  });

  it('holds each expected service pending, in progress once started, and its end once recorded', async () => {
    await ledger.expect('k1', change, [ref('api'), ref('worker')], T0, DEADLINE);
    await ledger.recordStart({
      started: { service: ref('api'), deploymentId: 'ecs-svc/1', via: 'ecs', startedAt: T0 + 60_000 },
      changeKeys: ['k1'],
      deadline: DEADLINE,
    });

    const after = await ledger.recordEnd('k1', {
      service: ref('api'),
      deploymentId: 'ecs-svc/1',
      state: 'failed',
      reason: 'ECS deployment circuit breaker: task failed to start.',
      endedAt: T0 + 300_000,
    });

    expect(after?.change).toEqual(change);
    expect(after?.changeSeenAt).toBe(T0);
    expect(after?.deadline).toBe(DEADLINE);
    expect(after?.entries.map((e) => [e.service.serviceName, e.state, e.deploymentId]).sort()).toEqual([
      ['api', 'failed', 'ecs-svc/1'],
      ['worker', 'pending', null],
    ]);
  });

  it('never overwrites an ended entry: a late or repeated record leaves the first end', async () => {
    await ledger.expect('k1', change, [ref('api')], T0, DEADLINE);
    const end = { service: ref('api'), deploymentId: 'ecs-svc/1', endedAt: T0 + 1000, reason: null } as const;
    await ledger.recordEnd('k1', { ...end, state: 'completed' });

    const after = await ledger.recordEnd('k1', { ...end, state: 'timed-out' });
    await ledger.expect('k1', change, [ref('api')], T0 + 5000, DEADLINE + 5000);

    expect(after?.entries.map((e) => e.state)).toEqual(['completed']);
    expect((await ledger.ledger('k1'))?.entries.map((e) => e.state)).toEqual(['completed']);
    expect((await ledger.ledger('k1'))?.changeSeenAt).toBe(T0);
  });

  it('marks a ledger settled for exactly one caller', async () => {
    await ledger.expect('k1', change, [ref('api')], T0, DEADLINE);
    const before = await ledger.ledger('k1');

    const answers = await Promise.all([1, 2, 3].map((n) => ledger.markSettled('k1', T0 + n)));

    expect(before?.settled).toBe(false);
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect((await ledger.ledger('k1'))?.settled).toBe(true);
    expect(await ledger.markSettled('no-such-change', T0)).toBe(false);
  });

  it('answers null for the end of a change it has no ledger for (expired)', async () => {
    const after = await ledger.recordEnd('gone', {
      service: ref('api'),
      deploymentId: 'ecs-svc/1',
      state: 'completed',
      reason: null,
      endedAt: T0,
    });

    expect(after).toBeNull();
  });

  it('takes a change with more services than one update expression holds', async () => {
    const many = Array.from({ length: 23 }, (_, index) => ref(`svc-${index}`));

    await ledger.expect('k1', change, many, T0, DEADLINE);

    expect((await ledger.ledger('k1'))?.entries).toHaveLength(23);
  });
});
