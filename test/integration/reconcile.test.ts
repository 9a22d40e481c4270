/**
 * The scheduled reconcile end to end on the emulator: the reconcile, change and worker handlers configured by
 * the environment as the stack configures them, with the state table and the redeploy queue. Values change with
 * no event sent; one change also arrives as an event whose redeploy still waits in the queue. The reconcile
 * finds exactly the services behind, queues them under the event path's change keys, the worker redeploys each
 * once (the one the event already queued too), and a second run finds none. A service the worker already
 * redeployed for an event is not listed at all.
 *
 * How the emulator's gap is closed: moto answers ListSecretVersionIds with `CreatedDate` = now for every
 * version, where AWS answers each version's own creation time. Every secret is created and changed through
 * `startSecretVersionDates`, a stand-in in front of moto that notes when each version was made and answers
 * ListSecretVersionIds as AWS would.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditReport } from '../../functions/core/audit-report.ts';
import type { Report } from '../../functions/core/report.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { sqsEventOf } from '../../scripts/sqs-event.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type SecretVersionDates, startSecretVersionDates } from '../support/secret-version-dates.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const CLUSTER = 'reconcile';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:redeploys';

let moto: MotoServer;
let dates: SecretVersionDates;
let proxy: RecordingProxy;
let seed: Seeder;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let queueUrl: string;
let settleQueueUrl: string;
let secrets: Record<'rotated' | 'announced' | 'untouched', { arn: string }>;
const savedEnvironment: Record<string, string | undefined> = {};

function setEnvironment(values: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(values)) {
    if (!(key in savedEnvironment)) savedEnvironment[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

const context = (name: string) =>
  ({
    functionName: name,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    awsRequestId: `req-${Math.random()}`,
    getRemainingTimeInMillis: () => 600_000,
  }) as unknown as Context;

/** Sets the configuration the stack gives the functions, and loads their modules afresh. */
function configure(configuration: Record<string, string>): void {
  vi.resetModules();
  setEnvironment({
    DRY_RUN: undefined,
    SELECTION_MODE: undefined,
    TABLE_NAME: 'state',
    QUEUE_URL: queueUrl,
    SETTLE_QUEUE_URL: settleQueueUrl,
    COALESCE_SECONDS: '0',
    UPDATES_PER_SECOND: '5',
    READS_PER_SECOND: '20',
    ECS_SHARE: '1',
    RECONCILE_MODE: undefined,
    ...configuration,
  });
}

/** The reconcile alone, as a fresh execution environment with this configuration would load it. */
async function loadReconcile(configuration: Record<string, string>) {
  configure(configuration);
  const reconcile = await import('../../functions/handlers/reconcile.ts');
  return reconcile.handler as (event: unknown, context: Context) => Promise<AuditReport>;
}

/** The reconcile, the secret change function and the worker, sharing one configuration. */
async function loadHandlers(configuration: Record<string, string>) {
  configure(configuration);
  const reconcile = await import('../../functions/handlers/reconcile.ts');
  const secret = await import('../../functions/handlers/secret-changed.ts');
  const worker = await import('../../functions/handlers/redeploy-worker.ts');
  return {
    reconcile: reconcile.handler as (event: unknown, context: Context) => Promise<AuditReport>,
    secret: secret.handler as (event: unknown, context: Context) => Promise<Report>,
    worker: worker.handler as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  };
}
type Handlers = Awaited<ReturnType<typeof loadHandlers>>;

/** One JSON line Powertools wrote to stdout: a log entry or an EMF document. */
type LogLine = Record<string, unknown>;

/** Runs `work`, keeping every JSON line written to stdout meanwhile. */
async function capturingStdout<T>(work: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  let written = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const result = await work();
    return { result, lines: parseLines(written) };
  } finally {
    spy.mockRestore();
  }
}

function parseLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The scheduled event EventBridge sends: the reconcile reads nothing of it. */
const scheduled = () => ({
  version: '0',
  id: `sched-${Math.random()}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/reconcile'],
  detail: {},
});

async function receiveAll(): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (!answer.Messages?.length) return messages;
    messages.push(...answer.Messages);
  }
}

/** What the event source mapping does: one invocation, then delete what succeeded. */
async function deliver(handlers: Handlers, messages: readonly Message[]): Promise<SQSBatchResponse> {
  const answer = await handlers.worker(
    sqsEventOf(messages, { queueArn: QUEUE_ARN, region: 'us-east-1' }),
    context('redeploy-worker'),
  );
  const failed = new Set(answer.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const message of messages) {
    if (failed.has(message.MessageId ?? '')) continue;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  return answer;
}

const bodyOf = (message: Message) =>
  JSON.parse(message.Body ?? '{}') as { service: { serviceName: string }; changeKey: string };

/** The service each UpdateService the proxy saw was for, in order. */
const updated = () =>
  proxy.callsOf('UpdateService').map((call) => String(call.input.service).split('/').pop());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function putSecret(arn: string, value: string): Promise<string> {
  const answer = await seed.clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: arn, SecretString: value }),
  );
  return answer.VersionId ?? '';
}

beforeAll(async () => {
  moto = await startMoto();
  dates = await startSecretVersionDates(moto.endpoint);
  proxy = await startRecordingProxy(dates.endpoint);
  seed = seeder(dates.endpoint);
  sqs = new SQSClient(awsClientConfig(moto.endpoint));
  dynamodb = new DynamoDBClient(awsClientConfig(moto.endpoint));
  const inherited = Object.keys(process.env).filter((key) => key.startsWith('AWS_'));
  setEnvironment({
    ...Object.fromEntries(inherited.map((key) => [key, undefined])),
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
    POWERTOOLS_DEV: undefined,
    POWERTOOLS_METRICS_DISABLED: undefined,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
});

afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnvironment)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  vi.resetModules();
  seed?.destroy();
  sqs?.destroy();
  dynamodb?.destroy();
  await proxy?.stop();
  await dates?.stop();
  await moto?.stop();
});

/**
 * Three secrets and a parameter, one service reading each, all created a while before the services (moto
 * keeps some times in whole seconds), so only the changes a test makes can leave a service behind.
 */
beforeEach(async () => {
  await moto.reset();
  await createStateTable(dynamodb, 'state');
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: 'redeploys', Attributes: { VisibilityTimeout: '300' } }),
  );
  const settle = await sqs.send(new CreateQueueCommand({ QueueName: 'settle' }));
  // Through the proxy, so the functions' SQS calls are recorded too (the SDK sends them to the URL's host).
  const throughProxy = (url: string | undefined) => `${proxy.endpoint}${new URL(url ?? '').pathname}`;
  queueUrl = throughProxy(queue.QueueUrl);
  settleQueueUrl = throughProxy(settle.QueueUrl);
  const created = {
    rotated: await seed.createSecret('prod/rotated', 'one'),
    announced: await seed.createSecret('prod/announced', 'one'),
    untouched: await seed.createSecret('prod/untouched', 'one'),
  };
  for (const { versionId } of Object.values(created)) dates.backdate(versionId, Date.now() - 3_600_000);
  secrets = created;
  await seed.putParameter('/prod/endpoint', 'https://one.example.com');
  await pause(1_100);
  await seed.createCluster(CLUSTER);
  const reader = async (name: string, valueFrom: string) => {
    const taskDefinition = await seed.registerTaskDefinition({
      family: name,
      containers: [{ name: 'app', secrets: [{ name: 'VALUE', valueFrom }] }],
    });
    await seed.createService({ cluster: CLUSTER, name, taskDefinition, desiredCount: 1 });
  };
  await reader('rotated-user', created.rotated.arn);
  await reader('announced-user', created.announced.arn);
  await reader('untouched-user', created.untouched.arn);
  await reader('endpoint-user', '/prod/endpoint');
  await pause(1_100);
  proxy.clear();
});

describe('the scheduled reconcile on the emulator', () => {
  it('queues exactly the services behind, collapses with the event path, and a second run finds none', async () => {
    // Prepare: two values change with no event; a third changes and its event is handled, its redeploy
    // still waiting in the queue when the reconcile runs.
    const handlers = await loadHandlers({ RECONCILE_MODE: 'fix' });
    await putSecret(secrets.rotated.arn, 'two');
    await seed.putParameter('/prod/endpoint', 'https://two.example.com');
    const announcedVersion = await putSecret(secrets.announced.arn, 'two');
    const event = JSON.parse(
      readFileSync(new URL('../../events/secretsmanager-label-updated.json', import.meta.url), 'utf8'),
    );
    // When the label moved: the change function keeps this time, and the audit prefers it.
    Object.assign(event, { resources: [secrets.announced.arn], time: new Date().toISOString() });
    Object.assign(event.detail, { name: 'prod/announced', versionId: announcedVersion });
    await pause(1_100);
    const eventReport = await handlers.secret(event, context('secret-changed'));

    // Act
    const first = await capturingStdout(() => handlers.reconcile(scheduled(), context('reconcile')));
    const messages = await receiveAll();
    const delivered = await deliver(handlers, messages);
    await pause(1_100);
    const second = await capturingStdout(() => handlers.reconcile(scheduled(), context('reconcile')));

    // Assess: the event queued its service; the reconcile found exactly the three behind and queued them.
    expect(eventReport.services.map((service) => [service.serviceName, service.action])).toEqual([
      ['announced-user', 'queued'],
    ]);
    const report = first.result;
    expect(report.services.map((service) => [service.serviceName, service.action])).toEqual([
      ['announced-user', 'queued'],
      ['endpoint-user', 'queued'],
      ['rotated-user', 'queued'],
    ]);
    expect(report.summary).toMatchObject({ queued: 3, stale: 3, failed: 0 });
    // Under the event path's keys: the announced service's two messages carry one change key.
    const keysOf = (name: string) =>
      messages
        .filter((message) => bodyOf(message).service.serviceName === name)
        .map((m) => bodyOf(m).changeKey);
    expect(keysOf('announced-user')).toEqual([eventReport.changeKey, eventReport.changeKey]);
    expect(keysOf('rotated-user')).toHaveLength(1);
    expect(keysOf('untouched-user')).toEqual([]);
    // One UpdateService per service behind, the announced one's too; none for the service on current values.
    expect(delivered.batchItemFailures).toEqual([]);
    expect(updated().sort()).toEqual(['announced-user', 'endpoint-user', 'rotated-user']);
    expect(proxy.callsOf('SendMessageBatch').length).toBeGreaterThan(0);
    // Each change it queued is watched until it settles, as the event path's are.
    const watched = proxy
      .callsOf('SendMessage')
      .filter((call) => String(call.input.QueueUrl).endsWith('/settle'))
      .map((call) => JSON.parse(String(call.input.MessageBody)) as { changeKey?: string; watch?: boolean })
      .filter((body) => body.watch === true)
      .map((body) => body.changeKey);
    for (const message of messages) expect(watched).toContain(bodyOf(message).changeKey);
    // Metadata only: no value was ever read.
    expect(proxy.calls.map((call) => call.action)).not.toContain('GetSecretValue');
    expect(proxy.calls.filter((call) => /^GetParameters?$/.test(call.action))).toEqual([]);
    // One report line and the stale count per run; the second run finds none and queues nothing.
    const reportLines = (lines: LogLine[]) => lines.filter((line) => line.message === 'reconcile report');
    expect(reportLines(first.lines)).toHaveLength(1);
    expect(reportLines(first.lines)[0]?.report).toEqual(JSON.parse(JSON.stringify(report)));
    expect(first.lines.find((line) => 'ServicesStale' in line)?.ServicesStale).toBe(3);
    expect(second.result.services).toEqual([]);
    expect(second.result.summary).toMatchObject({ stale: 0, queued: 0 });
    expect(second.lines.find((line) => 'ServicesStale' in line)?.ServicesStale).toBe(0);
    expect(await receiveAll()).toEqual([]);
  });

  it('leaves alone a service the event path already redeployed for the change', async () => {
    // Prepare: the change arrives as an event, and the worker redeploys its service before the reconcile runs.
    const handlers = await loadHandlers({ RECONCILE_MODE: 'fix' });
    const version = await putSecret(secrets.announced.arn, 'two');
    const event = JSON.parse(
      readFileSync(new URL('../../events/secretsmanager-label-updated.json', import.meta.url), 'utf8'),
    );
    Object.assign(event, { resources: [secrets.announced.arn], time: new Date().toISOString() });
    Object.assign(event.detail, { name: 'prod/announced', versionId: version });
    await handlers.secret(event, context('secret-changed'));
    await deliver(handlers, await receiveAll());
    await pause(1_100);

    // Act
    const { result: report } = await capturingStdout(() =>
      handlers.reconcile(scheduled(), context('reconcile')),
    );

    // Assess: one UpdateService, the event path's; the reconcile finds nothing behind and queues nothing.
    expect(updated()).toEqual(['announced-user']);
    expect(report.services).toEqual([]);
    expect(await receiveAll()).toEqual([]);
  });

  it('only reports in report mode: nothing queued, nothing redeployed', async () => {
    // Prepare
    // As the stack configures a reporting reconcile: no queue.
    const reconcile = await loadReconcile({ RECONCILE_MODE: 'report', QUEUE_URL: '', SETTLE_QUEUE_URL: '' });
    await putSecret(secrets.rotated.arn, 'two');
    await pause(1_100);

    // Act
    const { result: report } = await capturingStdout(() => reconcile(scheduled(), context('reconcile')));

    // Assess
    expect(report.dryRun).toBe(true);
    expect(report.services.map((service) => [service.serviceName, service.action])).toEqual([
      ['rotated-user', 'would-redeploy'],
    ]);
    expect(report.services[0]?.stale.map((value) => [value.name, value.label])).toEqual([
      ['prod/rotated', 'AWSCURRENT'],
    ]);
    expect(await receiveAll()).toEqual([]);
    expect(updated()).toEqual([]);
    expect(proxy.calls.filter((call) => call.action.startsWith('SendMessage'))).toEqual([]);
  });
});
