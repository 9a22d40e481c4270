/**
 * The metadata adapter on the emulator. Secrets are created and changed through the stand-in that answers
 * ListSecretVersionIds as AWS does (moto answers `CreatedDate` = now for every version, and the name as the
 * ARN); a recording proxy in front of it tells which actions the adapter used.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsItemMetadata } from '../../functions/aws/item-metadata.ts';
import { DynamoMoveTimes } from '../../functions/aws/move-times.ts';
import { type ItemQuery, queryKey } from '../../functions/core/staleness.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { awsClientConfig, MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type SecretVersionDates, startSecretVersionDates } from '../support/secret-version-dates.ts';
import { type Seeder, seeder } from '../support/seed.ts';

let moto: MotoServer;
let dates: SecretVersionDates;
let proxy: RecordingProxy;
let seed: Seeder;
let metadata: AwsItemMetadata;
let clients: { secrets: SecretsManagerClient; ssm: SSMClient };

const where = { partition: 'aws', region: 'us-east-1', account: MOTO_ACCOUNT_ID };
const secretQuery = (secretId: string): ItemQuery => ({ kind: 'secretsmanager', ...where, secretId });
const parameterQuery = (name: string): ItemQuery => ({ kind: 'ssm', ...where, name });

beforeAll(async () => {
  moto = await startMoto();
  dates = await startSecretVersionDates(moto.endpoint);
  proxy = await startRecordingProxy(dates.endpoint);
  seed = seeder(dates.endpoint);
  const config = awsClientConfig(proxy.endpoint);
  clients = { secrets: new SecretsManagerClient(config), ssm: new SSMClient(config) };
  metadata = new AwsItemMetadata({ clientsFor: () => clients });
});
afterAll(async () => {
  seed?.destroy();
  clients?.secrets.destroy();
  clients?.ssm.destroy();
  await proxy?.stop();
  await dates?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.clear();
});

describe('AwsItemMetadata on the emulator', () => {
  it("reads each labelled version's creation and the full ARN, by full id, partial id or name", async () => {
    const { arn, versionId: first } = await seed.createSecret('prod/db', 'one');
    const put = await seed.clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: arn, SecretString: 'two' }),
    );
    const id = arn.slice(arn.indexOf(':secret:') + ':secret:'.length);
    const queries = [secretQuery(id), secretQuery('prod/db')];

    const answers = await metadata.read(queries);

    for (const query of queries) {
      expect(answers.get(queryKey(query))).toEqual({
        ok: {
          kind: 'secretsmanager',
          arn,
          name: 'prod/db',
          versions: expect.arrayContaining([
            { versionId: first, stages: ['AWSPREVIOUS'], createdAt: dates.createdAt(first) },
            {
              versionId: put.VersionId,
              stages: ['AWSCURRENT'],
              createdAt: dates.createdAt(put.VersionId ?? ''),
            },
          ]),
        },
      });
    }
  });

  it('keeps only labelled versions: a task can read no other', async () => {
    const { arn } = await seed.createSecret('prod/db', 'one');
    const second = await seed.clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: arn, SecretString: 'two' }),
    );
    await seed.clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: arn, SecretString: 'three' }),
    );
    await seed.clients.secretsManager.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSPREVIOUS',
        RemoveFromVersionId: second.VersionId,
      }),
    );

    const answer = (await metadata.read([secretQuery('prod/db')])).get(queryKey(secretQuery('prod/db')));

    expect(
      answer !== undefined &&
        'ok' in answer &&
        answer.ok.kind === 'secretsmanager' &&
        answer.ok.versions.map((v) => v.stages),
    ).toEqual([['AWSCURRENT']]);
  });

  it('reads hierarchical and plain parameters, however the reference spelled them, in one call', async () => {
    await seed.putParameter('/prod/url', 'a');
    await seed.putParameter('/prod/url', 'b');
    await seed.putParameter('plain', 'a');
    const queries = [parameterQuery('prod/url'), parameterQuery('plain')];

    const answers = await metadata.read(queries);

    expect(answers.get(queryKey(queries[0] as ItemQuery))).toEqual({
      ok: {
        kind: 'ssm',
        arn: `arn:aws:ssm:us-east-1:${MOTO_ACCOUNT_ID}:parameter/prod/url`,
        name: '/prod/url',
        version: '2',
        lastModifiedAt: expect.any(Number),
      },
    });
    expect(answers.get(queryKey(queries[1] as ItemQuery))).toMatchObject({
      ok: { name: 'plain', version: '1' },
    });
    expect(proxy.callsOf('DescribeParameters')).toHaveLength(1);
  });

  it('says which items could not be read, and reads the others', async () => {
    await seed.putParameter('/prod/url', 'a');
    const queries = [secretQuery('prod/missing'), parameterQuery('prod/missing'), parameterQuery('prod/url')];

    const answers = await metadata.read(queries);

    expect(answers.get(queryKey(queries[0] as ItemQuery))).toEqual({
      error: "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    });
    expect(answers.get(queryKey(queries[1] as ItemQuery))).toEqual({
      error: 'ParameterNotFound: no parameter /prod/missing',
    });
    expect(answers.get(queryKey(queries[2] as ItemQuery))).toMatchObject({ ok: { version: '1' } });
  });

  it('reads metadata only: no call that could return a value', async () => {
    await seed.createSecret('prod/db', 'one');
    await seed.putParameter('/prod/url', 'a');

    await metadata.read([secretQuery('prod/db'), parameterQuery('/prod/url')]);

    expect(new Set(proxy.calls.map((call) => call.action))).toEqual(
      new Set(['ListSecretVersionIds', 'DescribeParameters']),
    );
  });
});

describe('DynamoMoveTimes on the emulator', () => {
  let dynamodb: DynamoDBClient;
  let now = 1_000_000_000;
  beforeAll(() => {
    dynamodb = new DynamoDBClient(awsClientConfig(moto.endpoint));
  });
  afterAll(() => dynamodb?.destroy());
  beforeEach(async () => {
    await createStateTable(dynamodb, 'state');
    now = 1_000_000_000;
  });
  const move = (key: string, at: number, version = 'v-1') => ({
    key,
    version,
    at,
    changeKey: `${key}|${version}`,
  });

  it('keeps the latest move of each key, whatever order the events came in', async () => {
    const times = new DynamoMoveTimes(dynamodb, { tableName: 'state', now: () => now });
    await times.record(move('a', 2_000, 'v-2'));
    await times.record(move('a', 1_000, 'v-1'));
    await times.record(move('b', 1_000));
    await times.record(move('b', 3_000, 'v-3'));

    const found = await times.getMany(['a', 'b', 'never']);

    expect(found).toEqual(
      new Map([
        ['a', move('a', 2_000, 'v-2')],
        ['b', move('b', 3_000, 'v-3')],
      ]),
    );
  });

  it('forgets a move once it has expired, before DynamoDB deletes it', async () => {
    const times = new DynamoMoveTimes(dynamodb, { tableName: 'state', now: () => now, ttlSeconds: 60 });
    await times.record(move('a', 1_000));
    now += 61_000;

    expect(await times.getMany(['a'])).toEqual(new Map());
  });

  it('reads more keys than one BatchGetItem takes', async () => {
    const times = new DynamoMoveTimes(dynamodb, { tableName: 'state', now: () => now });
    const keys = Array.from({ length: 130 }, (_, index) => `k${index}`);
    for (const key of keys) await times.record(move(key, 1_000));

    expect((await times.getMany(keys)).size).toBe(130);
  });
});
