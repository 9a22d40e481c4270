import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HoldLostError, StateTable } from '../../functions/aws/state-table.ts';
import { forEachBounded } from '../../functions/core/bounded.ts';
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

describe('StateTable keeps a service’s pending item bounded', () => {
  /** A secret with a long (valid) name: each of its change keys is about 400 bytes. */
  const SECRET = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${'team/'.repeat(64)}db-AbCdEf`;
  const PARAMETER = 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url';
  const secretKey = (index: number) => `${SECRET}|AWSCURRENT|${String(index).padStart(8, '0')}-version-id`;
  const pendingItem = async () =>
    (
      await client.send(
        new GetItemCommand({ TableName: 'state', Key: { id: { S: `pending#${service.serviceArn}` } } }),
      )
    ).Item;

  it('keeps one key of an item through thousands of changes, far below 400 KB, and claims keep working', async () => {
    // 1,500 keys of this item would need about 600 KB in one item: far more than DynamoDB's 400 KB. They are
    // added 25 at a time, as concurrent change runs would: whichever lands last is the one kept.
    const keys = Array.from({ length: 1500 }, (_, index) => secretKey(index + 1));
    await forEachBounded(keys, 25, (key) => table.add(message(key)));
    await table.add(message(`${PARAMETER}|7`));

    const item = await pendingItem();
    const kept = Object.entries(item ?? {}).flatMap(([name, value]) =>
      name.startsWith('key#') && value.S !== undefined ? [value.S] : [],
    );
    const newest = kept.find((key) => key.startsWith(SECRET)) ?? '';
    const claimed = await table.claim(service, newest, 'worker-a', now + 300_000);
    const older = await table.claim(service, keys.find((key) => key !== newest) ?? '', 'worker-b', now);

    expect(JSON.stringify(item).length).toBeLessThan(4_000);
    expect(kept.sort()).toEqual([`${PARAMETER}|7`, newest].sort());
    expect(claimed).toEqual({ state: 'claimed', changeKeys: [newest, `${PARAMETER}|7`] });
    expect(older).toEqual({ state: 'done' });
  }, 300_000);

  it('lets the message of an older value carry the newer one pending on its item, whose own message then finds it done', async () => {
    await table.add(message(secretKey(1)));
    await table.add(message(secretKey(2)));

    const older = await table.claim(service, secretKey(1), 'worker-a', now + 300_000);
    await table.complete(service, 'worker-a', older.state === 'claimed' ? older.changeKeys : []);
    const newer = await table.claim(service, secretKey(2), 'worker-b', now + 300_000);

    expect(older).toEqual({ state: 'claimed', changeKeys: [secretKey(2)] });
    expect(newer).toEqual({ state: 'done' });
  });

  it('lets the message of an older value do nothing once a deployment started after the newer value came', async () => {
    await table.add(message(secretKey(1)));
    now += 1_000;
    await table.add(message(secretKey(2)));
    const newer = await table.claim(service, secretKey(2), 'worker-a', now + 300_000);
    await table.complete(service, 'worker-a', newer.state === 'claimed' ? newer.changeKeys : [], now);
    now += 1_000;
    await table.add(message(`${PARAMETER}|7`));

    // The parameter's change waits for its own message; the secret's older value rode on the deployment.
    expect(await table.claim(service, secretKey(1), 'worker-b', now + 300_000)).toEqual({ state: 'done' });
    expect(await table.claim(service, `${PARAMETER}|7`, 'worker-b', now + 300_000)).toEqual({
      state: 'claimed',
      changeKeys: [`${PARAMETER}|7`],
    });
  });

  it('lets the message of an older value end at once while another worker holds the service', async () => {
    await table.add(message(secretKey(1)));
    await table.claim(service, secretKey(1), 'worker-a', now + 300_000);
    await table.add(message(secretKey(2)));

    // The newer value has its own message: the older one need not wait for the holder.
    expect(await table.claim(service, secretKey(1), 'worker-b', now + 300_000)).toEqual({ state: 'done' });
  });

  it('keeps a newer value that arrived while the redeploy ran, for its own message to redeploy', async () => {
    await table.add(message(secretKey(1)));
    const claim = await table.claim(service, secretKey(1), 'worker-a', now + 300_000);
    await table.add(message(secretKey(2)));

    await table.complete(service, 'worker-a', claim.state === 'claimed' ? claim.changeKeys : []);

    expect(await table.claim(service, secretKey(2), 'worker-b', now + 300_000)).toEqual({
      state: 'claimed',
      changeKeys: [secretKey(2)],
    });
  });

  it('gives the pending item an expiry, renewed with every change and claim', async () => {
    await table.add(message(secretKey(1)));
    const added = await pendingItem();
    now += 60_000;
    await table.claim(service, secretKey(1), 'worker-a', now + 300_000);
    const claimed = await pendingItem();

    expect(added?.expiration?.N).toBe(String(1_000 + 3600));
    expect(claimed?.expiration?.N).toBe(String(1_060 + 3600));
  });

  it('carries and clears the keys an earlier version kept in one growing set', async () => {
    await client.send(
      new PutItemCommand({
        TableName: 'state',
        Item: { id: { S: `pending#${service.serviceArn}` }, changeKeys: { SS: ['old-1', 'old-2'] } },
      }),
    );

    const claim = await table.claim(service, 'old-1', 'worker-a', now + 300_000);
    await table.complete(service, 'worker-a', claim.state === 'claimed' ? claim.changeKeys : []);

    expect(claim).toEqual({ state: 'claimed', changeKeys: ['old-1', 'old-2'] });
    expect((await pendingItem())?.changeKeys).toBeUndefined();
    expect(await table.claim(service, 'old-2', 'worker-b', now + 1000)).toEqual({ state: 'done' });
  });

  it('refuses to record a redeploy for a worker whose hold another worker took over', async () => {
    await table.add(message(secretKey(1)));
    const claim = await table.claim(service, secretKey(1), 'worker-a', now + 1000);
    now += 2000;
    await table.claim(service, secretKey(1), 'worker-b', now + 1000);

    await expect(
      table.complete(service, 'worker-a', claim.state === 'claimed' ? claim.changeKeys : []),
    ).rejects.toThrow(HoldLostError);
  });
});

describe('the flap guard history on the emulator', () => {
  it('reads nothing for a service never redeployed', async () => {
    expect(await table.historyOf(service)).toEqual({ starts: [], deferredUntil: null });
  });

  it('keeps what was saved, with an expiry an hour after the last start or when a waiting message is due', async () => {
    await table.saveHistory(service, { starts: [1_000_000, 2_000_000], deferredUntil: null });
    const first = await table.historyOf(service);
    const firstItem = await client.send(
      new GetItemCommand({ TableName: 'state', Key: { id: { S: `flaps#${service.serviceArn}` } } }),
    );
    await table.saveHistory(service, { starts: [2_000_000], deferredUntil: 9_000_000 });

    expect(first).toEqual({ starts: [1_000_000, 2_000_000], deferredUntil: null });
    expect(firstItem.Item?.expiration).toEqual({ N: String((2_000_000 + 3_600_000) / 1000) });
    expect(await table.historyOf(service)).toEqual({ starts: [2_000_000], deferredUntil: 9_000_000 });
  });
});
