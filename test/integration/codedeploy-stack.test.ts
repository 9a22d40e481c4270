/**
 * CODE_DEPLOY services in the deployed shape, on the emulator: the change function finds the service's
 * deployment group and queues the redeploy with it; only the worker creates the CodeDeploy deployment; a group
 * already deploying makes the redeploy wait on the queue instead of failing.
 */
import { readFileSync } from 'node:fs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../functions/core/report.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { sqsEventOf } from '../../scripts/sqs-event.ts';
import {
  appSpecOf,
  createCodeDeployService,
  createDeploymentGroup,
  deploymentIdsOf,
  deploymentOf,
} from '../support/codedeploy-seed.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const CLUSTER = 'shop';
const SECRET = 'prod/db';

let moto: MotoServer;
let proxy: RecordingProxy;
let seed: Seeder;
let sqs: SQSClient;
let codedeploy: CodeDeployClient;
let dynamodb: DynamoDBClient;
let account: { secretArn: string; queueUrl: string; checkoutTaskDefinition: string };

const context = (name: string) =>
  ({
    functionName: name,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    awsRequestId: `req-${Math.random()}`,
    getRemainingTimeInMillis: () => 60_000,
  }) as unknown as Context;

/** Loads the handlers as a fresh execution environment would, with this environment. */
async function loadHandlers(env: Record<string, string>) {
  vi.resetModules();
  Object.assign(process.env, env);
  const secret = await import('../../functions/handlers/secret-changed.ts');
  const worker = await import('../../functions/handlers/redeploy-worker.ts');
  return {
    secret: secret.handler as (event: unknown, context: Context) => Promise<Report>,
    worker: worker.handler as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  };
}
type Handlers = Awaited<ReturnType<typeof loadHandlers>>;

/** Rotates the secret and returns the event AWS publishes for it. */
async function rotated() {
  const { VersionId } = await seed.clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: SECRET, SecretString: `value-${Math.random()}` }),
  );
  const event = JSON.parse(
    readFileSync(new URL('../../events/secretsmanager-label-updated.json', import.meta.url), 'utf8'),
  );
  event.id = `evt-${Math.random()}`;
  event.resources = [account.secretArn];
  event.detail = { ...event.detail, name: SECRET, versionId: VersionId };
  return event;
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

/** What the Lambda event source mapping does: one invocation, then delete what succeeded. */
async function deliver(handlers: Handlers, messages: readonly Message[]) {
  const event = sqsEventOf(messages, {
    queueArn: 'arn:aws:sqs:us-east-1:123456789012:redeploys',
    region: 'us-east-1',
  });
  const answer = await handlers.worker(event, context('redeploy-worker'));
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

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.endpoint);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  seed = seeder(moto.endpoint);
  sqs = new SQSClient(awsClientConfig(moto.endpoint));
  codedeploy = new CodeDeployClient(awsClientConfig(moto.endpoint));
  dynamodb = new DynamoDBClient(awsClientConfig(moto.endpoint));
});

afterAll(async () => {
  seed?.destroy();
  sqs?.destroy();
  codedeploy?.destroy();
  dynamodb?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  proxy.clear();
  await createStateTable(dynamodb, 'state');
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: 'redeploys', Attributes: { VisibilityTimeout: '300' } }),
  );
  const secret = await seed.createSecret(SECRET, 'first');
  await seed.createCluster(CLUSTER);
  const checkoutTaskDefinition = await seed.registerTaskDefinition({
    family: 'checkout',
    containers: [{ name: 'web', secrets: [{ name: 'DB', valueFrom: secret.arn }] }],
  });
  await createCodeDeployService(seed.clients.ecs, {
    cluster: CLUSTER,
    name: 'checkout',
    taskDefinition: checkoutTaskDefinition,
    container: { name: 'web', port: 8080 },
  });
  await createDeploymentGroup(codedeploy, {
    application: 'storefront',
    group: 'checkout-bg',
    services: [{ cluster: CLUSTER, name: 'checkout' }],
  });
  account = { secretArn: secret.arn, queueUrl: queue.QueueUrl ?? '', checkoutTaskDefinition };
});

const stackEnv = () => ({
  TABLE_NAME: 'state',
  QUEUE_URL: account.queueUrl,
  COALESCE_SECONDS: '0',
  DRY_RUN: 'false',
  SELECTION_MODE: 'all',
  CODE_DEPLOY: 'true',
});

describe('a CODE_DEPLOY service in the deployed stack', () => {
  it('is queued with its deployment group by the change function, and deployed once by the worker alone', async () => {
    const handlers = await loadHandlers(stackEnv());

    const report = await handlers.secret(await rotated(), context('secret-changed'));

    expect(report.services).toMatchObject([
      {
        serviceName: 'checkout',
        action: 'queued',
        via: 'codedeploy',
        deploymentGroup: 'storefront/checkout-bg',
      },
    ]);
    expect(proxy.callsOf('CreateDeployment')).toEqual([]);
    const messages = await receiveAll();
    expect(messages).toHaveLength(1);

    const answer = await deliver(handlers, messages);

    expect(answer.batchItemFailures).toEqual([]);
    const deployments = await deploymentIdsOf(codedeploy, 'storefront', 'checkout-bg');
    expect(deployments).toHaveLength(1);
    const appSpec = appSpecOf(await deploymentOf(moto.endpoint, deployments[0] as string));
    expect(appSpec.Resources[0]?.TargetService.Properties.TaskDefinition).toBe(
      account.checkoutTaskDefinition,
    );
  });

  it('makes a redeploy wait on the queue, not fail, while the group runs another deployment', async () => {
    const handlers = await loadHandlers(stackEnv());
    await handlers.secret(await rotated(), context('secret-changed'));
    await deliver(handlers, await receiveAll());
    // The emulator keeps every deployment Created: the group stays busy with the first one.
    await handlers.secret(await rotated(), context('secret-changed'));
    const second = await receiveAll();
    proxy.clear();

    expect(second).toHaveLength(1);

    const answer = await deliver(handlers, second);

    expect(answer.batchItemFailures).toEqual([]);
    expect(await deploymentIdsOf(codedeploy, 'storefront', 'checkout-bg')).toHaveLength(1);
    expect(proxy.callsOf('CreateDeployment')).toEqual([]);
    // The message went back on the queue, out of sight for the wait, instead of being retried as a failure.
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: account.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '1',
    });
  });

  it('is skipped for its deployment controller when CodeDeploy deployments are turned off', async () => {
    const handlers = await loadHandlers({ ...stackEnv(), CODE_DEPLOY: 'false' });

    const report = await handlers.secret(await rotated(), context('secret-changed'));

    expect(report.services).toMatchObject([{ action: 'skipped', reason: 'deployment-controller' }]);
    expect(report.services[0]?.detail).toContain('turned off');
    expect(await receiveAll()).toEqual([]);
    expect(proxy.calls.filter((call) => call.service.startsWith('CodeDeploy'))).toEqual([]);
  });
});
