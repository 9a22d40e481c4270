/**
 * The deployed shape end to end on the emulator: change handlers → state table + redeploy queue → worker.
 * Once per change, once per service, changes to one service coalesced, nothing lost when a run dies.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../functions/core/report.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { sqsEventOf } from '../../scripts/sqs-event.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';
import { startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const CLUSTER = 'durable';
const SECRET = 'prod/db-password';
const PARAMETER = '/prod/api/url';

let moto: MotoServer;
let seed: Seeder;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let account: { secretArn: string; firstVersion: string; queueUrl: string };

const context = (name: string) =>
  ({
    functionName: name,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    awsRequestId: `req-${Math.random()}`,
    getRemainingTimeInMillis: () => 60_000,
  }) as unknown as Context;

const fixture = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8'));

/** Loads the handlers as a fresh execution environment would, with this environment. */
async function loadHandlers(env: Record<string, string>) {
  vi.resetModules();
  Object.assign(process.env, env);
  const secret = await import('../../functions/handlers/secret-changed.ts');
  const parameter = await import('../../functions/handlers/parameter-changed.ts');
  const worker = await import('../../functions/handlers/redeploy-worker.ts');
  return {
    secret: secret.handler as (event: unknown, context: Context) => Promise<Report>,
    parameter: parameter.handler as (event: unknown, context: Context) => Promise<Report>,
    worker: worker.handler as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  };
}

type Handlers = Awaited<ReturnType<typeof loadHandlers>>;

function labelUpdated(versionId: string) {
  const event = fixture('secretsmanager-label-updated.json');
  event.resources = [account.secretArn];
  event.detail.versionId = versionId;
  event.id = `evt-${Math.random()}`;
  return event;
}

async function putSecret(value: string): Promise<string> {
  const answer = await seed.clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: SECRET, SecretString: value }),
  );
  return answer.VersionId ?? '';
}

async function receiveAll(): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: account.queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (!answer.Messages?.length) return messages;
    messages.push(...answer.Messages);
  }
}

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:redeploys';
const sqsEvent = (messages: readonly Message[], receiveCount?: number) =>
  sqsEventOf(messages, {
    queueArn: QUEUE_ARN,
    region: 'us-east-1',
    ...(receiveCount === undefined ? {} : { receiveCount }),
  });

/** What the Lambda event source mapping does: one invocation, then delete what succeeded. */
async function deliver(handlers: Handlers, messages: readonly Message[], receiveCount?: number) {
  const answer = await handlers.worker(sqsEvent(messages, receiveCount), context('redeploy-worker'));
  const failed = new Set(answer.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const message of messages) {
    if (!failed.has(message.MessageId ?? '')) {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: account.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
  return answer;
}

const deployment = (service: string) => seed.deploymentIdOf(CLUSTER, service);
const serviceArnOf = (name: string) => `arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/${name}`;
type Body = {
  service: { serviceName: string; serviceArn: string; clusterArn: string };
  changeKey: string;
};
const bodyOf = (message: Message) => JSON.parse(message.Body ?? '{}') as Body;

/** The JSON lines the handlers write while `run` runs, at log level INFO. */
async function logsOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    const result = await run();
    const lines = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { result, lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  seed = seeder(moto.endpoint);
  sqs = new SQSClient(awsClientConfig(moto.endpoint));
  dynamodb = new DynamoDBClient(awsClientConfig(moto.endpoint));
});

afterAll(async () => {
  seed?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  await createStateTable(dynamodb, 'state');
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: 'redeploys', Attributes: { VisibilityTimeout: '300' } }),
  );
  const secret = await seed.createSecret(SECRET, 'first');
  await seed.putParameter(PARAMETER, 'https://one');
  await seed.createCluster(CLUSTER);
  const both = await seed.registerTaskDefinition({
    family: 'app',
    containers: [
      {
        name: 'app',
        secrets: [
          { name: 'DB', valueFrom: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET}` },
          { name: 'URL', valueFrom: PARAMETER },
        ],
      },
    ],
  });
  const secretOnly = await seed.registerTaskDefinition({
    family: 'web',
    containers: [{ name: 'web', secrets: [{ name: 'DB', valueFrom: secret.arn }] }],
  });
  const none = await seed.registerTaskDefinition({
    family: 'other',
    containers: [{ name: 'other', environment: { A: 'b' } }],
  });
  await seed.createService({ cluster: CLUSTER, name: 'app', taskDefinition: both, desiredCount: 1 });
  await seed.createService({ cluster: CLUSTER, name: 'web', taskDefinition: secretOnly, desiredCount: 1 });
  await seed.createService({ cluster: CLUSTER, name: 'other', taskDefinition: none, desiredCount: 1 });
  account = { secretArn: secret.arn, firstVersion: secret.versionId, queueUrl: queue.QueueUrl ?? '' };
});

const queuedEnv = () => ({
  TABLE_NAME: 'state',
  QUEUE_URL: account.queueUrl,
  COALESCE_SECONDS: '0',
  DRY_RUN: 'false',
  SELECTION_MODE: 'all',
});

describe('durable redeploys through the queue', () => {
  it('queues each matching service once and the worker redeploys it', async () => {
    const handlers = await loadHandlers(queuedEnv());
    const before = {
      app: await deployment('app'),
      web: await deployment('web'),
      other: await deployment('other'),
    };
    const version = await putSecret('second');

    const report = await handlers.secret(labelUpdated(version), context('secret-changed'));
    const messages = await receiveAll();
    const answer = await deliver(handlers, messages);

    expect(report.services.map((service) => [service.serviceName, service.action])).toEqual([
      ['app', 'queued'],
      ['web', 'queued'],
    ]);
    expect(report.changeKey).toBe(`${account.secretArn}|AWSCURRENT|${version}`);
    expect(messages.map((message) => bodyOf(message).service.serviceName).sort()).toEqual(['app', 'web']);
    expect(answer.batchItemFailures).toEqual([]);
    expect(await deployment('app')).not.toBe(before.app);
    expect(await deployment('web')).not.toBe(before.web);
    expect(await deployment('other')).toBe(before.other);
  });

  it('gives a service whose secret and parameter both changed one deployment carrying both changes', async () => {
    const handlers = await loadHandlers(queuedEnv());
    const version = await putSecret('second');
    await seed.putParameter(PARAMETER, 'https://two');
    await handlers.secret(labelUpdated(version), context('secret-changed'));
    const parameterEvent = fixture('ssm-parameter-update.json');
    const parameterReport = await handlers.parameter(parameterEvent, context('parameter-changed'));
    // Keyed by the version DescribeParameters gives (the parameter was written twice).
    expect(parameterReport.changeKey).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url|2');
    const messages = await receiveAll();
    const forApp = messages.filter((message) => bodyOf(message).service.serviceName === 'app');
    expect(forApp).toHaveLength(2);
    const before = await deployment('app');

    await deliver(handlers, [forApp[0] as Message]);
    const afterFirst = await deployment('app');
    await deliver(handlers, [forApp[1] as Message]);

    expect(afterFirst).not.toBe(before);
    expect(await deployment('app')).toBe(afterFirst);
  });

  it("collapses forwarded events of another account's parameter within one coalescing window into one change", async () => {
    const foreign = 'arn:aws:ssm:us-east-1:210987654321:parameter/shared/flag';
    const reader = await seed.registerTaskDefinition({
      family: 'shared',
      containers: [{ name: 'shared', secrets: [{ name: 'FLAG', valueFrom: foreign }] }],
    });
    await seed.createService({ cluster: CLUSTER, name: 'shared', taskDefinition: reader, desiredCount: 1 });
    const handlers = await loadHandlers({ ...queuedEnv(), COALESCE_SECONDS: '60' });
    const forwarded = (id: string, time: string) => {
      const event = fixture('ssm-parameter-update.json');
      Object.assign(event, { id, time, account: '210987654321', resources: [foreign] });
      event.detail.name = '/shared/flag';
      return event;
    };

    const reports = [
      await handlers.parameter(forwarded('e1', '2025-11-09T15:30:02Z'), context('parameter-changed')),
      await handlers.parameter(forwarded('e2', '2025-11-09T15:30:59Z'), context('parameter-changed')),
      await handlers.parameter(forwarded('e3', '2025-11-09T15:31:00Z'), context('parameter-changed')),
    ];

    // Another account's parameter has no version DescribeParameters could read from here: the window stands in.
    expect(reports.map((report) => report.ignored)).toEqual([null, 'already-handled', null]);
    expect(reports.map((report) => report.changeKey)).toEqual([
      `${foreign}|window:2025-11-09T15:30:00.000Z+60s`,
      `${foreign}|window:2025-11-09T15:30:00.000Z+60s`,
      `${foreign}|window:2025-11-09T15:31:00.000Z+60s`,
    ]);
    expect(reports[0]?.services.map((service) => [service.serviceName, service.action])).toEqual([
      ['shared', 'queued'],
    ]);
    expect(reports[1]?.scanned.services).toBe(0);
  });

  it('handles one rotation announced three ways, and a repeated delivery, as one change', async () => {
    const handlers = await loadHandlers(queuedEnv());
    const version = await putSecret('second');
    const stageMoved = fixture('cloudtrail-update-secret-version-stage.json');
    stageMoved.detail.responseElements.arn = account.secretArn;
    stageMoved.detail.requestParameters = {
      secretId: account.secretArn,
      versionStage: 'AWSCURRENT',
      moveToVersionId: version,
      removeFromVersionId: account.firstVersion,
    };
    const succeeded = fixture('cloudtrail-rotation-succeeded.json');
    succeeded.detail.additionalEventData.SecretId = account.secretArn;
    const native = labelUpdated(version);

    const reports = [
      await handlers.secret(native, context('secret-changed')),
      await handlers.secret(native, context('secret-changed')),
      await handlers.secret(stageMoved, context('secret-changed')),
      await handlers.secret(succeeded, context('secret-changed')),
    ];

    expect(reports.map((report) => report.ignored)).toEqual([
      null,
      'already-handled',
      'already-handled',
      'already-handled',
    ]);
    expect(new Set(reports.map((report) => report.changeKey)).size).toBe(1);
    expect(await receiveAll()).toHaveLength(2);
  });

  it('treats a late announcement of an older value as the value current now', async () => {
    const handlers = await loadHandlers(queuedEnv());
    const older = await putSecret('second');
    const newer = await putSecret('third');

    const first = await handlers.secret(labelUpdated(newer), context('secret-changed'));
    const late = await handlers.secret(labelUpdated(older), context('secret-changed'));

    expect(first.changeKey).toBe(`${account.secretArn}|AWSCURRENT|${newer}`);
    expect(late.ignored).toBe('already-handled');
    expect(await receiveAll()).toHaveLength(2);
  });

  it('loses nothing when a run dies mid fan-out: the retried run queues again and each service is redeployed once', async () => {
    const broken = await loadHandlers({ ...queuedEnv(), QUEUE_URL: `${account.queueUrl}-missing` });
    const version = await putSecret('second');
    const event = labelUpdated(version);
    await expect(broken.secret(event, context('secret-changed'))).rejects.toThrow();
    const before = { app: await deployment('app'), web: await deployment('web') };

    const handlers = await loadHandlers(queuedEnv());
    const retried = await handlers.secret(event, context('secret-changed'));
    const messages = await receiveAll();
    await deliver(handlers, messages);
    const afterFirstDelivery = { app: await deployment('app'), web: await deployment('web') };
    // The same messages delivered again (SQS is at least once) change nothing.
    const again = await deliver(handlers, messages);

    expect(retried.summary.queued).toBe(2);
    expect(afterFirstDelivery.app).not.toBe(before.app);
    expect(afterFirstDelivery.web).not.toBe(before.web);
    expect(again.batchItemFailures).toEqual([]);
    expect({ app: await deployment('app'), web: await deployment('web') }).toEqual(afterFirstDelivery);
  });

  it('fails only the message whose service cannot be redeployed, and counts it failed on its last attempt', async () => {
    const handlers = await loadHandlers(queuedEnv());
    const version = await putSecret('second');
    await handlers.secret(labelUpdated(version), context('secret-changed'));
    const [good] = await receiveAll();
    const body = bodyOf(good as Message);
    const doomed: Message = {
      MessageId: 'doomed',
      ReceiptHandle: 'doomed-receipt',
      Body: JSON.stringify({
        ...body,
        service: { ...body.service, serviceName: 'gone', serviceArn: serviceArnOf('gone') },
      }),
    };
    const before = await deployment(body.service.serviceName);
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];

    const answer = await handlers
      .worker(sqsEvent([good as Message, doomed], 5), context('redeploy-worker'))
      .finally(() => {
        for (const spy of spies) spy.mockRestore();
      });

    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'doomed' }]);
    expect(await deployment(body.service.serviceName)).not.toBe(before);
    const lines = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines.find((line) => line.message === 'service redeploy failed')).toMatchObject({
      ecsService: { serviceName: 'gone', reason: expect.stringContaining('ECS has no ACTIVE service') },
      deadLetterQueue: true,
      receiveCount: 5,
    });
    expect(lines.find((line) => line._aws !== undefined)).toMatchObject({
      ServicesRedeployed: 1,
      ServicesFailed: 1,
    });
  });

  it('never calls UpdateService from a dry-run worker, whatever is in its queue, and logs what it would do', async () => {
    // Prepare: a stack that was not a dry run queued two redeploys; the worker now runs with DRY_RUN.
    const version = await putSecret('second');
    await (await loadHandlers(queuedEnv())).secret(labelUpdated(version), context('secret-changed'));
    const messages = await receiveAll();
    const before = { app: await deployment('app'), web: await deployment('web') };
    const proxy = await startRecordingProxy(moto.endpoint);
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const dry = await loadHandlers({
        ...queuedEnv(),
        DRY_RUN: 'true',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        AWS_ENDPOINT_URL: proxy.endpoint,
      });

      // Act
      const answer = await deliver(dry, messages);

      // Assess
      expect(answer.batchItemFailures).toEqual([]);
      expect(proxy.callsOf('UpdateService')).toEqual([]);
      expect({ app: await deployment('app'), web: await deployment('web') }).toEqual(before);
      const lines = written
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
      expect(
        lines
          .filter((line) => line.message === 'service would be redeployed (dry run)')
          .map((line) => line.ecsService.serviceName)
          .sort(),
      ).toEqual(['app', 'web']);
    } finally {
      spy.mockRestore();
      Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, POWERTOOLS_LOG_LEVEL: 'ERROR' });
      await proxy.stop();
    }
  });

  it('refuses a message that is not a redeploy message, failing only that record', async () => {
    const handlers = await loadHandlers(queuedEnv());

    const answer = await handlers.worker(
      sqsEvent([{ MessageId: 'junk', ReceiptHandle: 'r', Body: '{"hello":1}' }]),
      context('redeploy-worker'),
    );

    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'junk' }]);
  });

  it('keeps task definition references in the table, so a cold start asks ECS for none it knows', async () => {
    const first = await loadHandlers({ ...queuedEnv(), DRY_RUN: 'true' });
    const version = await putSecret('second');
    const firstReport = await first.secret(labelUpdated(version), context('secret-changed'));
    const items = await dynamodb.send(new ScanCommand({ TableName: 'state' }));
    const cached = (items.Items ?? []).map((item) => item.id?.S ?? '').filter((id) => id.startsWith('td#'));
    const proxy = await startRecordingProxy(moto.endpoint);
    try {
      // A new execution environment (fresh modules, empty memory) whose calls the proxy records.
      const cold = await loadHandlers({ ...queuedEnv(), DRY_RUN: 'true', AWS_ENDPOINT_URL: proxy.endpoint });
      const coldReport = await cold.secret(labelUpdated(version), context('secret-changed'));

      expect(firstReport.summary.wouldRedeploy).toBe(2);
      expect(cached).toHaveLength(3);
      expect(coldReport.summary.wouldRedeploy).toBe(2);
      expect(proxy.callsOf('DescribeServices').length).toBeGreaterThan(0);
      expect(proxy.callsOf('DescribeTaskDefinition')).toEqual([]);
    } finally {
      process.env.AWS_ENDPOINT_URL = moto.endpoint;
      await proxy.stop();
    }
  });
});

describe('a worker that trusts no message', () => {
  const infoEnv = () => ({ ...queuedEnv(), POWERTOOLS_LOG_LEVEL: 'INFO' });
  afterEach(() => {
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  });

  async function aQueuedBody(): Promise<Body> {
    const version = await putSecret('second');
    await (await loadHandlers(queuedEnv())).secret(labelUpdated(version), context('secret-changed'));
    const [first] = await receiveAll();
    return bodyOf(first as Message);
  }
  const forged = (body: Body, service: Partial<Body['service']>): Message => ({
    MessageId: 'forged',
    ReceiptHandle: 'forged-receipt',
    Body: JSON.stringify({ ...body, service: { ...body.service, ...service } }),
  });

  it('never redeploys a service tagged rotation-redeploy=off, even for a message sent to name it', async () => {
    const body = await aQueuedBody();
    const taskDefinition = await seed.registerTaskDefinition({
      family: 'quiet',
      containers: [{ name: 'quiet', secrets: [{ name: 'DB', valueFrom: account.secretArn }] }],
    });
    await seed.createService({
      cluster: CLUSTER,
      name: 'quiet',
      taskDefinition,
      desiredCount: 1,
      tags: { 'rotation-redeploy': 'off' },
    });
    const before = await deployment('quiet');
    const handlers = await loadHandlers(infoEnv());

    const { result, lines } = await logsOf(() =>
      handlers.worker(
        sqsEvent([forged(body, { serviceName: 'quiet', serviceArn: serviceArnOf('quiet') })]),
        context('redeploy-worker'),
      ),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(await deployment('quiet')).toBe(before);
    expect(lines.find((line) => line.message === 'service skipped')).toMatchObject({
      reason: 'opted-out',
      ecsService: { serviceName: 'quiet' },
    });
  });

  it('refuses a message whose service ARN and name disagree, redeploying neither service', async () => {
    const body = await aQueuedBody();
    const before = { app: await deployment('app'), web: await deployment('web') };
    const handlers = await loadHandlers(infoEnv());

    const { result, lines } = await logsOf(() =>
      handlers.worker(
        sqsEvent([forged(body, { serviceArn: serviceArnOf('app'), serviceName: 'web' })]),
        context('redeploy-worker'),
      ),
    );

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'forged' }]);
    expect({ app: await deployment('app'), web: await deployment('web') }).toEqual(before);
    expect(lines.find((line) => line.message === 'redeploy message refused')).toMatchObject({
      reason: expect.stringContaining('serviceArn names service "app", serviceName is "web"'),
    });
  });

  it('sends a malformed message to the dead-letter queue within seconds, saying why on every receive', async () => {
    const deadLetters = await sqs.send(new CreateQueueCommand({ QueueName: 'redeploys-dlq' }));
    const source = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'redeploys-guarded',
        Attributes: {
          VisibilityTimeout: '720',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:redeploys-dlq',
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    const queueUrl = source.QueueUrl ?? '';
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"service": "everything"' }));
    const handlers = await loadHandlers({ ...infoEnv(), QUEUE_URL: queueUrl, MAX_RECEIVE_COUNT: '2' });
    const receive = async (url: string) =>
      (
        await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        )
      ).Messages ?? [];

    // Act: what the event source does, as long as the queue hands the message out.
    const { lines } = await logsOf(async () => {
      for (let receives = 0; receives < 3; receives += 1) {
        const messages = await receive(queueUrl);
        if (messages.length === 0) break;
        await handlers.worker(sqsEvent(messages), context('redeploy-worker'));
      }
    });

    // Assess: no visibility timeout (720 s) waited out between receives, and the message is in the DLQ.
    expect((await receive(deadLetters.QueueUrl ?? '')).map((message) => message.Body)).toEqual([
      '{"service": "everything"',
    ]);
    expect(
      lines
        .map((line) => line.message)
        .filter((text) => String(text).includes('refused') || String(text).includes('failed')),
    ).toEqual(['redeploy message refused', 'service redeploy failed']);
    expect(lines.find((line) => line.message === 'service redeploy failed')).toMatchObject({
      refused: true,
      deadLetterQueue: true,
      receiveCount: 2,
      ecsService: { reason: expect.stringContaining('not JSON') },
    });
  });

  it('hands back, untried and without spending a receive, what an invocation has no time left for', async () => {
    const version = await putSecret('second');
    const handlers = await loadHandlers(queuedEnv());
    await handlers.secret(labelUpdated(version), context('secret-changed'));
    const messages = await receiveAll();
    const before = { app: await deployment('app'), web: await deployment('web') };
    // The first message finds a minute left; by the second, five seconds are left.
    const remaining = [60_000, 5_000];
    const short = {
      ...context('redeploy-worker'),
      getRemainingTimeInMillis: () => remaining.shift() ?? 5_000,
    } as Context;

    const answer = await handlers.worker(sqsEvent(messages), short);
    for (const message of messages) {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: account.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: account.queueUrl, AttributeNames: ['All'] }),
    );

    const [first, second] = messages.map((message) => bodyOf(message).service.serviceName);
    expect(answer.batchItemFailures).toEqual([]);
    expect(await deployment(first as 'app')).not.toBe(before[first as 'app']);
    expect(await deployment(second as 'web')).toBe(before[second as 'web']);
    // The second is back on the queue as a new message (its receives start again), shortly delayed.
    expect(attributes.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
  });
});

describe('a change with a service it could not decide for', () => {
  it('stays open on that service: the worker reads its task definition again and redeploys it', async () => {
    // Prepare: while the change function runs, ECS refuses to describe the task definition 'web' runs.
    const version = await putSecret('second');
    const before = { app: await deployment('app'), web: await deployment('web') };
    const proxy = await startRecordingProxy(moto.endpoint);
    proxy.failWhen(
      (call) => call.action === 'DescribeTaskDefinition' && JSON.stringify(call.input).includes('web'),
      { type: 'ClientException', message: 'Unable to describe task definition.' },
    );
    let report: Report;
    try {
      const blind = await loadHandlers({ ...queuedEnv(), AWS_ENDPOINT_URL: proxy.endpoint });
      report = await blind.secret(labelUpdated(version), context('secret-changed'));
    } finally {
      process.env.AWS_ENDPOINT_URL = moto.endpoint;
      await proxy.stop();
    }
    const messages = await receiveAll();

    // Act: the worker, where ECS answers again.
    const answer = await deliver(await loadHandlers(queuedEnv()), messages);

    // Assess
    expect(report.services.find((service) => service.serviceName === 'web')).toMatchObject({
      action: 'queued',
      detail: expect.stringContaining('task definition unreadable'),
    });
    expect(report.summary.failed).toBe(0);
    expect(
      messages
        .map((message) => [
          bodyOf(message).service.serviceName,
          'recheck' in JSON.parse(message.Body ?? '{}'),
        ])
        .sort(),
    ).toEqual([
      ['app', false],
      ['web', true],
    ]);
    expect(answer.batchItemFailures).toEqual([]);
    expect(await deployment('web')).not.toBe(before.web);
    expect(await deployment('app')).not.toBe(before.app);
  });
});

describe('a change with a failed service', () => {
  /** Only the secret function, with redeploys made at once: no queue. */
  async function directSecretHandler(env: Record<string, string>) {
    vi.resetModules();
    Object.assign(process.env, env);
    const secret = await import('../../functions/handlers/secret-changed.ts');
    return secret.handler as (event: unknown, context: Context) => Promise<Report>;
  }

  it('is not marked done: announced again, it is handled again, and a service that failed is tried again', async () => {
    // Prepare: redeploys made at once (no queue), with the once-per-change records in the table; ECS refuses
    // to redeploy 'web' during the first run.
    const direct = { ...queuedEnv(), QUEUE_URL: '' };
    const version = await putSecret('second');
    const proxy = await startRecordingProxy(moto.endpoint);
    proxy.failWhen((call) => call.action === 'UpdateService' && JSON.stringify(call.input).includes('/web'), {
      type: 'AccessDeniedException',
      message: 'not authorized to perform: ecs:UpdateService',
    });
    let first: Report;
    try {
      const refused = await directSecretHandler({ ...direct, AWS_ENDPOINT_URL: proxy.endpoint });
      first = await refused(labelUpdated(version), context('secret-changed'));
    } finally {
      process.env.AWS_ENDPOINT_URL = moto.endpoint;
      await proxy.stop();
    }
    const before = await deployment('web');

    // Act: the same change announced again.
    const second = await (await directSecretHandler(direct))(
      labelUpdated(version),
      context('secret-changed'),
    );

    // Assess
    expect(first.summary).toMatchObject({ redeployed: 1, failed: 1 });
    expect(second.ignored).toBeNull();
    expect(second.services.find((service) => service.serviceName === 'web')?.action).toBe('redeployed');
    expect(await deployment('web')).not.toBe(before);
  });
});
