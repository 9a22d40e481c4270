import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StateTable } from '../../functions/aws/state-table.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';

let moto: MotoServer;
let client: DynamoDBClient;
let now = 1_000_000;
let table: StateTable;

const service = {
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/api',
  serviceName: 'api',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/main',
};
const message = (changeKey: string): RedeployMessage => ({
  service,
  changeKey,
  change: {
    kind: 'ssm',
    arn: 'arn:p',
    name: 'p',
    account: '123456789012',
    region: 'us-east-1',
    label: null,
    versionId: null,
    trigger: 'Parameter Store Change',
  },
});

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
  now = 1_000_000;
  table = new StateTable(client, { tableName: 'state', now: () => now, doneTtlSeconds: 3600 });
});

describe('StateTable on the emulator', () => {
  it('hands a service to one worker at a time, and to another once the hold lapses', async () => {
    await table.add(message('k1'));

    const first = await table.claim(service, 'k1', 'worker-a', now + 300_000);
    const second = await table.claim(service, 'k1', 'worker-b', now + 300_000);
    now += 301_000;
    const third = await table.claim(service, 'k1', 'worker-b', now + 300_000);

    expect(first).toEqual({ state: 'claimed', changeKeys: ['k1'] });
    expect(second).toEqual({ state: 'busy' });
    expect(third).toEqual({ state: 'claimed', changeKeys: ['k1'] });
  });

  it('carries every pending change, marks them done, and keeps a change that arrived meanwhile', async () => {
    await table.add(message('k1'));
    await table.add(message('k2'));
    const claim = await table.claim(service, 'k1', 'worker-a', now + 300_000);
    await table.add(message('k3'));

    await table.complete(service, 'worker-a', claim.state === 'claimed' ? claim.changeKeys : []);

    expect(claim).toEqual({ state: 'claimed', changeKeys: ['k1', 'k2'] });
    expect(await table.claim(service, 'k2', 'worker-b', now + 1000)).toEqual({ state: 'done' });
    expect(await table.claim(service, 'k3', 'worker-b', now + 1000)).toEqual({
      state: 'claimed',
      changeKeys: ['k3'],
    });
  });

  it('forgets a done change after its time to live', async () => {
    await table.add(message('k1'));
    await table.complete(service, 'worker-a', ['k1']).catch(() => undefined);
    const claim = await table.claim(service, 'k1', 'worker-a', now + 1000);
    await table.complete(service, 'worker-a', claim.state === 'claimed' ? claim.changeKeys : []);
    now += 3_601_000;

    expect(await table.claim(service, 'k1', 'worker-a', now + 1000)).toEqual({
      state: 'claimed',
      changeKeys: ['k1'],
    });
  });

  it('keeps task definition references for the next cold start', async () => {
    const references = { references: [], malformed: [] };
    await table.putMany(new Map([['arn:td:1', references]]));

    const found = await table.getMany(['arn:td:1', 'arn:td:2']);
    const item = await client.send(
      new GetItemCommand({ TableName: 'state', Key: { id: { S: 'td#arn:td:1' } } }),
    );

    expect([...found.keys()]).toEqual(['arn:td:1']);
    expect(item.Item?.expiration).toBeUndefined();
  });
});
