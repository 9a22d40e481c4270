/**
 * The change buffer end to end on the emulator: change functions (CHANGES_QUEUE_URL set) read each change's
 * metadata and buffer it; the change scanner takes the batch, scans once, reports once per change and hands
 * one redeploy per service and change to the redeploy queue; the worker then redeploys each service once.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Buffered } from '../../functions/app/buffer-change.ts';
import type { Report } from '../../functions/core/report.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { sqsEventOf } from '../../scripts/sqs-event.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const CLUSTER = 'buffered';
const SECRET = 'prod/db-password';
const PARAMETER = '/prod/api/url';

let moto: MotoServer;
let proxy: RecordingProxy;
let seed: Seeder;
let sqs: SQSClient;
let queues: { changes: string; redeploys: string };
let secretArn: string;

const context = (name: string) =>
  ({
    functionName: name,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    awsRequestId: `req-${Math.random()}`,
    getRemainingTimeInMillis: () => 60_000,
  }) as unknown as Context;

const fixture = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8'));

type ChangeHandler = (event: unknown, context: Context) => Promise<Report | Buffered>;
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Every function as a fresh execution environment with the stack's settings would load it. */
async function loadHandlers() {
  vi.resetModules();
  Object.assign(process.env, {
    CHANGES_QUEUE_URL: queues.changes,
    TABLE_NAME: 'state',
    QUEUE_URL: queues.redeploys,
    COALESCE_SECONDS: '0',
    UPDATES_PER_SECOND: '5',
  });
  const [secret, parameter, scanner, worker] = await Promise.all([
    import('../../functions/handlers/secret-changed.ts'),
    import('../../functions/handlers/parameter-changed.ts'),
    import('../../functions/handlers/change-scanner.ts'),
    import('../../functions/handlers/redeploy-worker.ts'),
  ]);
  return {
    secret: secret.handler as ChangeHandler,
    parameter: parameter.handler as ChangeHandler,
    scanner: scanner.handler as SqsHandler,
    worker: worker.handler as SqsHandler,
  };
}

async function receiveAll(queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!answer.Messages?.length) return messages;
    messages.push(...answer.Messages);
  }
}

const sqsEvent = (messages: readonly Message[], queue: string) =>
  sqsEventOf(messages, { queueArn: `arn:aws:sqs:us-east-1:123456789012:${queue}`, region: 'us-east-1' });

/** The JSON lines Powertools writes while `work` runs (logs and metrics to stdout, errors to stderr). */
async function logged<T>(work: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  let written = '';
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += `${typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')}\n`;
      return true;
    }),
  );
  try {
    const result = await work();
    return {
      result,
      lines: written
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.endpoint);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  seed = seeder(moto.endpoint);
  sqs = new SQSClient(awsClientConfig(moto.endpoint));
  await createStateTable(new DynamoDBClient(awsClientConfig(moto.endpoint)), 'state');
  const make = async (name: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '300' } })))
      .QueueUrl ?? '';
  queues = { changes: await make('changes'), redeploys: await make('redeploys') };
  const secret = await seed.createSecret(SECRET, 'first');
  secretArn = secret.arn;
  await seed.putParameter(PARAMETER, 'https://one');
  await seed.createCluster(CLUSTER);
  const reads = { app: [secret.arn, PARAMETER], web: [secret.arn], other: ['/prod/other'] };
  for (const [name, valueFroms] of Object.entries(reads)) {
    const taskDefinition = await seed.registerTaskDefinition({
      family: name,
      containers: [
        { name, secrets: valueFroms.map((valueFrom, index) => ({ name: `V${index}`, valueFrom })) },
      ],
    });
    await seed.createService({ cluster: CLUSTER, name, taskDefinition, desiredCount: 1 });
  }
}, 120_000);

afterAll(async () => {
  seed?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

describe('the change buffer and the change scanner', () => {
  it('costs one metadata read per change and one scan per batch, and redeploys each service once', async () => {
    // Prepare
    const handlers = await loadHandlers();
    const put = await seed.clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: SECRET, SecretString: 'second' }),
    );
    await seed.putParameter(PARAMETER, 'https://two');
    const rotated = fixture('secretsmanager-label-updated.json');
    rotated.resources = [secretArn];
    rotated.detail.versionId = put.VersionId;
    const again = { ...rotated, id: 'a-second-delivery-of-the-same-rotation' };
    const before = {
      app: await seed.deploymentIdOf(CLUSTER, 'app'),
      web: await seed.deploymentIdOf(CLUSTER, 'web'),
    };
    proxy.clear();

    // Act: the change functions buffer three events (one a repeat), the scanner takes them with a bad message.
    const answers = [
      await handlers.secret(rotated, context('secret-changed')),
      await handlers.parameter(fixture('ssm-parameter-update.json'), context('parameter-changed')),
      await handlers.secret(again, context('secret-changed')),
    ];
    const metadataReads = proxy.calls.filter((call) =>
      ['DescribeSecret', 'DescribeParameters'].includes(call.action),
    );
    const buffered = await receiveAll(queues.changes);
    const garbage: Message = { MessageId: 'not-a-change', ReceiptHandle: 'x', Body: '{"event":' };
    proxy.clear();
    const scanned = await logged(() =>
      handlers.scanner(sqsEvent([...buffered, garbage], 'changes'), context('change-scanner')),
    );
    const scanCalls = {
      listClusters: proxy.callsOf('ListClusters').length,
      updates: proxy.callsOf('UpdateService').length,
    };
    const redeploys = await receiveAll(queues.redeploys);
    proxy.clear();
    const delivered = await handlers.worker(sqsEvent(redeploys, 'redeploys'), context('redeploy-worker'));

    // Assess
    expect(answers.map((answer) => 'buffered' in answer && answer.buffered)).toEqual([true, true, true]);
    expect(metadataReads.map((call) => call.action)).toEqual([
      'DescribeSecret',
      'DescribeParameters',
      'DescribeSecret',
    ]);
    expect(buffered).toHaveLength(3);
    expect(proxy.callsOf('DescribeSecret')).toEqual([]);
    expect(scanned.result.batchItemFailures).toEqual([{ itemIdentifier: 'not-a-change' }]);
    expect(scanCalls).toEqual({ listClusters: 1, updates: 0 });
    const reports = scanned.lines
      .filter((line) => line.message === 'redeploy report')
      .map((line) => line.report as Report);
    expect(reports.map((report) => [report.change.kind, report.ignored])).toEqual([
      ['secretsmanager', null],
      ['ssm', null],
      ['secretsmanager', 'already-handled'],
    ]);
    expect(reports[0]?.changeKey).toBe(`${secretArn}|AWSCURRENT|${put.VersionId}`);
    expect(reports[1]?.changeKey).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url|2');
    expect(
      scanned.lines.some((line) => line.message === 'event refused' && line.messageId === 'not-a-change'),
    ).toBe(true);
    const forService = (name: string) =>
      redeploys.filter((message) => JSON.parse(message.Body ?? '{}').service.serviceName === name).length;
    expect({ app: forService('app'), web: forService('web'), other: forService('other') }).toEqual({
      app: 2,
      web: 1,
      other: 0,
    });
    expect(delivered.batchItemFailures).toEqual([]);
    expect(
      proxy
        .callsOf('UpdateService')
        // The worker names the service by its ARN: its last part is the name.
        .map((call) => String(call.input.service).split('/').pop())
        .sort(),
    ).toEqual(['app', 'web']);
    expect(await seed.deploymentIdOf(CLUSTER, 'app')).not.toBe(before.app);
    expect(await seed.deploymentIdOf(CLUSTER, 'web')).not.toBe(before.web);
  }, 60_000);
});
