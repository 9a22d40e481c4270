/**
 * `npm start`: the whole automation, end to end, on this machine, with no AWS account.
 *
 * Starts moto_server (or uses AWS_ENDPOINT_URL), seeds a small account, then plays real changes: new
 * values written with the Secrets Manager and SSM APIs, the EventBridge event AWS would deliver for each,
 * handed to the very bundles `cdk deploy` uploads (dist/<name>/index.mjs), and the redeploy queue drained
 * through the worker bundle as the Lambda SQS event source would. Prints each report and what changed.
 *
 * The bundles' own JSON log lines go to a file (printed at the end), not to the terminal. Secret values
 * are written, never printed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { renderReport, table } from '../functions/cli/render.ts';
import type { Report } from '../functions/core/report.ts';
import {
  type DemoClients,
  type DemoNames,
  demoNames,
  type SeededAccount,
  type SeededService,
  seedDemoAccount,
  VISIBILITY_TIMEOUT_SECONDS,
} from './demo-account.ts';
import { awsClientConfig, MotoMissingError, startMoto } from './emulator.ts';
import { sqsEventOf } from './sqs-event.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGION = 'us-east-1';
/** Every value the demo writes contains this; the test checks that the output never does. */
const SECRET_MARKER = 'never-printed-';

// ── Output ─────────────────────────────────────────────────────────────────────────────────────────────

/** The real stdout, kept aside: while a bundle runs, process.stdout.write goes to the log file. */
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
const say = (text = '') => stdoutWrite(`${text}\n`);
const indent = (text: string, by = '  ') =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');

function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

let stepNumber = 0;
/** A step: its title, what AWS does at this point, and what the demo does instead. */
function step(title: string, inAws: string, here?: string): void {
  stepNumber += 1;
  const heading = `${stepNumber}. ${title}`;
  say();
  say(`${heading} ${'─'.repeat(Math.max(3, 100 - heading.length - 1))}`);
  say(wrap(`In AWS: ${inAws}`));
  if (here !== undefined) say(wrap(`Here: ${here}`));
}

const short = (id: string) => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

class DemoError extends Error {
  override name = 'DemoError';
}

// ── The bundles' log lines ─────────────────────────────────────────────────────────────────────────────

interface LogLine {
  readonly level?: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

/**
 * While a bundle runs, whatever it writes to stdout/stderr (Powertools' JSON log lines and EMF metrics,
 * what CloudWatch Logs would hold) goes to a file instead of the terminal, and is parsed for the demo.
 */
class FunctionLogs {
  #file: string | null = null;

  /** Made on first use, so a run that stops early leaves no empty directory behind. */
  get file(): string {
    this.#file ??= path.join(mkdtempSync(path.join(tmpdir(), 'rotation-redeploy-demo-')), 'functions.log');
    return this.#file;
  }

  get written(): boolean {
    return this.#file !== null && existsSync(this.#file);
  }

  async capture<T>(run: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
    const chunks: string[] = [];
    const sink = (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') done();
      return true;
    };
    const original = { stdout: process.stdout.write, stderr: process.stderr.write };
    process.stdout.write = sink as typeof process.stdout.write;
    process.stderr.write = sink as typeof process.stderr.write;
    try {
      const result = await run();
      return { result, lines: parseLines(chunks) };
    } finally {
      process.stdout.write = original.stdout;
      process.stderr.write = original.stderr;
      if (chunks.length > 0) appendFileSync(this.file, chunks.join(''));
    }
  }
}

function parseLines(chunks: readonly string[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of chunks.join('').split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // not a JSON line
    }
  }
  return lines;
}

/** WARN and ERROR lines a change function logged: shown, since an operator would want to see them. */
function sayWarnings(lines: readonly LogLine[]): void {
  for (const line of lines) {
    if (line.level === 'WARN' || line.level === 'ERROR' || line.level === 'CRITICAL') {
      say(`  ! the function logged ${line.level}: ${String(line.message)}`);
    }
  }
}

// ── The Lambda side: bundles, context, events ─────────────────────────────────────────────────────────

type ChangeHandler = (event: unknown, context: Context) => Promise<Report>;
type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

interface Bundles {
  readonly secretChanged: ChangeHandler;
  readonly parameterChanged: ChangeHandler;
  readonly redeployWorker: WorkerHandler;
}

/** Imports a bundle as a fresh Lambda execution environment would: its environment is read at import. */
async function importBundle<T>(logs: FunctionLogs, name: string, env: Record<string, string>): Promise<T> {
  const file = path.join(ROOT, 'dist', name, 'index.mjs');
  if (!existsSync(file)) {
    throw new DemoError(
      `dist/${name}/index.mjs is missing: run \`npm run build\` (\`npm start\` builds first).`,
    );
  }
  Object.assign(process.env, env);
  const { result } = await logs.capture(() => import(pathToFileURL(file).href) as Promise<{ handler?: T }>);
  if (typeof result.handler !== 'function') throw new DemoError(`dist/${name}/index.mjs exports no handler`);
  return result.handler;
}

function lambdaContext(functionName: string, account: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${account}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local-demo/[$LATEST]${randomBytes(8).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function fixture(file: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(ROOT, 'events', file), 'utf8'));
}

const eventTime = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** A fixture re-addressed to the seeded account, as a fresh delivery (new id, now). */
function delivered(file: string, account: SeededAccount) {
  return {
    ...fixture(file),
    id: randomUUID(),
    time: eventTime(),
    account: account.account,
    region: account.region,
  };
}

/** The native `Secret Label Updated` event Secrets Manager sends EventBridge when a label moves. */
function secretLabelUpdated(account: SeededAccount, names: DemoNames, label: string, versionId: string) {
  return {
    ...delivered('secretsmanager-label-updated.json', account),
    resources: [account.refs.secretArn],
    detail: { name: names.secret, labelUpdated: label, versionId },
  };
}

/** The CloudTrail record of a PutSecretValue (the stack's CloudTrail fallback rule delivers it). */
function cloudTrailPutSecretValue(
  account: SeededAccount,
  names: DemoNames,
  stages: string[],
  versionId: string,
) {
  const event = delivered('cloudtrail-put-secret-value-pending.json', account);
  return {
    ...event,
    detail: {
      ...event.detail,
      awsRegion: account.region,
      recipientAccountId: account.account,
      requestParameters: {
        ...(event.detail.requestParameters as object),
        secretId: names.secret,
        versionStages: stages,
      },
      responseElements: { arn: account.refs.secretArn, name: names.secret, versionId, versionStages: stages },
    },
  };
}

/** The `Parameter Store Change` event SSM sends EventBridge on PutParameter. */
function parameterStoreChange(account: SeededAccount, names: DemoNames) {
  const event = delivered('ssm-parameter-update.json', account);
  return {
    ...event,
    resources: [account.refs.parameterArn],
    detail: {
      ...event.detail,
      operation: 'Update',
      name: names.parameter,
      description: 'Base URL of the API',
    },
  };
}

// ── The demo ───────────────────────────────────────────────────────────────────────────────────────────

interface Emulator {
  readonly endpoint: string;
  /** Ours: stopped at the end; the user's (AWS_ENDPOINT_URL): left running. */
  readonly own: boolean;
  stop(): Promise<void>;
}

async function emulator(): Promise<Emulator> {
  const given = process.env.AWS_ENDPOINT_URL?.trim();
  if (given === undefined || given === '') {
    const moto = await startMoto();
    return { endpoint: moto.endpoint, own: true, stop: () => moto.stop() };
  }
  let host: string;
  try {
    host = new URL(given).hostname;
  } catch {
    throw new DemoError(`AWS_ENDPOINT_URL is not a URL: "${given}"`);
  }
  if (/(^|\.)(amazonaws\.com(\.cn)?|api\.aws)$/i.test(host)) {
    throw new DemoError(
      `AWS_ENDPOINT_URL points at AWS itself (${given}). The demo creates resources and redeploys every ECS service that reads them: run it against an emulator only, or unset AWS_ENDPOINT_URL to let it start moto_server.`,
    );
  }
  try {
    await fetch(given, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new DemoError(
      `nothing answers at AWS_ENDPOINT_URL=${given} (${(error as Error).message}). Start your emulator, or unset AWS_ENDPOINT_URL to let the demo start moto_server.`,
    );
  }
  return { endpoint: given.replace(/\/+$/, ''), own: false, stop: async () => {} };
}

/** What the worker logged for one record. */
interface WorkerOutcome {
  readonly serviceName: string;
  readonly serviceArn: string;
  readonly clusterName: string;
  readonly kind: 'redeployed' | 'already-done' | 'retry' | 'failed';
  readonly changeKeys: readonly string[];
  readonly deploymentId: string | null;
  readonly reason: string | null;
}

function workerOutcomes(lines: readonly LogLine[]): WorkerOutcome[] {
  const kinds: Record<string, WorkerOutcome['kind']> = {
    'service redeployed': 'redeployed',
    'redeploy already done for this change': 'already-done',
    'service redeploy failed, will be retried': 'retry',
    'service redeploy failed': 'failed',
  };
  const outcomes: WorkerOutcome[] = [];
  for (const line of lines) {
    const kind = kinds[String(line.message)];
    if (kind === undefined) continue;
    const service = (line.ecsService ?? {}) as {
      serviceName?: string;
      serviceArn?: string;
      clusterArn?: string;
      reason?: string;
    };
    const changeKeys = Array.isArray(line.changeKeys)
      ? (line.changeKeys as string[])
      : typeof line.changeKey === 'string'
        ? [line.changeKey]
        : [];
    outcomes.push({
      serviceName: service.serviceName ?? '?',
      serviceArn: service.serviceArn ?? '?',
      clusterName: (service.clusterArn ?? '').slice((service.clusterArn ?? '').lastIndexOf('/') + 1),
      kind,
      changeKeys,
      deploymentId: typeof line.deploymentId === 'string' ? line.deploymentId : null,
      reason: typeof line.reason === 'string' ? line.reason : (service.reason ?? null),
    });
  }
  return outcomes;
}

const SKIP_EXPLAINED: Record<string, string> = {
  'opted-out': 'tagged rotation-redeploy=off',
  'deployment-controller': 'CODE_DEPLOY: its own pipeline deploys it',
  'scaled-to-zero': 'no task runs; the next one reads the new value',
  'pinned-version': 'reads a fixed version, which did not change',
  'stage-not-moved': 'the label it reads did not move',
};

const IGNORED_EXPLAINED: Record<string, string> = {
  'pending-version-only':
    'only AWSPENDING moved. Running tasks read AWSCURRENT (or a label or version they name), so nothing they read changed yet; the rotation is not finished.',
  'already-handled':
    'this new value was handled already. EventBridge delivers at least once, and one rotation can be announced several ways; the state table remembers each change (item, label, version) for a day, so nothing is queued twice.',
};

async function run(logs: FunctionLogs): Promise<number> {
  const server = await emulator();
  try {
    return await play(server, logs);
  } finally {
    await server.stop();
    say();
    if (server.own) say(`Stopped moto_server (${server.endpoint}).`);
  }
}

async function play(server: Emulator, logs: FunctionLogs): Promise<number> {
  const runId = server.own ? null : randomBytes(2).toString('hex');
  const names = demoNames(runId);
  const config = awsClientConfig(server.endpoint);
  const clients: DemoClients = {
    ecs: new ECSClient(config),
    secretsManager: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
  };
  const newValue = () =>
    JSON.stringify({ username: 'app', password: `${SECRET_MARKER}${randomBytes(12).toString('hex')}` });

  say(
    server.own
      ? `Started moto_server, the local AWS emulator, on ${server.endpoint}. Nothing leaves this machine.`
      : `Using the emulator at AWS_ENDPOINT_URL=${server.endpoint}; names carry the run id "${runId}".`,
  );

  // ── The account ──
  step(
    'A small account',
    'your clusters, services, secrets and parameters already exist; `cdk deploy` adds the functions, the state table and the redeploy queue.',
    'the same things are created on the emulator through the AWS SDK.',
  );
  const account = await seedDemoAccount(clients, names, {
    secret: newValue(),
    parameter: 'https://api.internal.example/v1',
  });
  say();
  say(`  Secret     ${names.secret}  (Secrets Manager)  ${account.refs.secretArn}`);
  say(`  Parameter  ${names.parameter}  (SSM Parameter Store)  ${account.refs.parameterArn}`);
  say();
  say(
    indent(
      table(
        ['CLUSTER', 'SERVICE', 'WHAT ITS TASK DEFINITION READS', 'EXPECTED'],
        account.services.map((service) => [
          service.clusterName,
          service.name,
          service.note,
          service.expected === 'redeployed' || service.expected === 'not a user'
            ? service.expected
            : `skipped: ${service.expected}`,
        ]),
      ),
    ),
  );
  say();
  say(indent(`State table ${names.table}, redeploy queue ${names.queue}.`));
  const before = await deploymentIds(clients.ecs, account.services);

  // ── The functions ──
  const region = { AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION };
  Object.assign(process.env, {
    ...region,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // The stack's settings (infra/constructs/rotation-redeploy.ts); logs go to the file anyway.
    POWERTOOLS_SERVICE_NAME: 'rotation-redeploy',
    POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'POWERTOOLS_DEV']) delete process.env[name];
  const changeEnv = {
    DRY_RUN: 'false',
    SELECTION_MODE: 'all',
    CONCURRENCY: '8',
    TABLE_NAME: names.table,
    QUEUE_URL: account.queueUrl,
    // The stack waits 60 s by default, so that changes to one service within a minute share a deployment.
    COALESCE_SECONDS: '0',
  };
  const bundles: Bundles = {
    secretChanged: await importBundle<ChangeHandler>(logs, 'secret-changed', changeEnv),
    parameterChanged: await importBundle<ChangeHandler>(logs, 'parameter-changed', changeEnv),
    redeployWorker: await importBundle<WorkerHandler>(logs, 'redeploy-worker', {
      QUEUE_URL: account.queueUrl,
      TABLE_NAME: names.table,
      // Half the stack's default 2 a second: two worker instances may run at once.
      UPDATES_PER_SECOND: '1',
      MAX_RECEIVE_COUNT: '5',
      VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_TIMEOUT_SECONDS),
    }),
  };
  say();
  say(
    wrap(
      'Functions: dist/secret-changed, dist/parameter-changed and dist/redeploy-worker (index.mjs), the bundles `cdk deploy` uploads, each imported with the environment the stack gives it (queued delivery: TABLE_NAME, QUEUE_URL; COALESCE_SECONDS=0 here so nothing waits).',
    ),
  );

  const reports: { label: 'secret' | 'parameter'; report: Report }[] = [];
  const invokeChange = async (
    handler: ChangeHandler,
    functionName: string,
    event: { detail: unknown; 'detail-type'?: unknown },
  ): Promise<Report> => {
    say();
    say(`  Event (${String(event['detail-type'])}): detail ${JSON.stringify(event.detail)}`);
    say();
    const { result, lines } = await logs.capture(() =>
      handler(event, lambdaContext(functionName, account.account, 900_000)),
    );
    say(indent(renderReport(result)));
    sayWarnings(lines);
    if (result.ignored !== null && IGNORED_EXPLAINED[result.ignored] !== undefined) {
      say();
      say(indent(wrap(`Why: ${IGNORED_EXPLAINED[result.ignored]}`, 98)));
    }
    return result;
  };

  // ── Rotation, first half ──
  step(
    'Rotation starts: a new value is written as AWSPENDING',
    'the rotation function’s createSecret step calls PutSecretValue with VersionStages [AWSPENDING]. Secrets Manager sends no "Secret Label Updated" for AWSPENDING, but with the CloudTrail fallback rule on, CloudTrail’s record of the call reaches the secret-changed function.',
    'PutSecretValue on the emulator, then dist/secret-changed is called with the CloudTrail event AWS would send.',
  );
  const pending = await clients.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: names.secret,
      SecretString: newValue(),
      VersionStages: ['AWSPENDING'],
      ClientRequestToken: randomUUID(),
    }),
  );
  const newVersion = pending.VersionId ?? '';
  await invokeChange(
    bundles.secretChanged,
    'secret-changed',
    cloudTrailPutSecretValue(account, names, ['AWSPENDING'], newVersion),
  );

  // ── Rotation, second half ──
  step(
    'Rotation finishes: AWSCURRENT moves to the new value',
    'the rotation function’s finishSecret step calls UpdateSecretVersionStage; AWSCURRENT moves to the new version (and AWSPREVIOUS to the old one), and Secrets Manager sends "Secret Label Updated" for AWSCURRENT. Every service whose tasks read the secret is queued for a new deployment, one message each; the others are skipped with a reason.',
    'UpdateSecretVersionStage on the emulator, then dist/secret-changed with the event.',
  );
  await clients.secretsManager.send(
    new UpdateSecretVersionStageCommand({
      SecretId: names.secret,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: newVersion,
      RemoveFromVersionId: account.refs.firstVersionId,
    }),
  );
  const rotated = secretLabelUpdated(account, names, 'AWSCURRENT', newVersion);
  reports.push({
    label: 'secret',
    report: await invokeChange(bundles.secretChanged, 'secret-changed', rotated),
  });

  // ── Duplicate ──
  step(
    'EventBridge delivers the same event again',
    'EventBridge delivers at least once, and retries a target that failed: the same event can arrive twice.',
    'the very same event is handed to dist/secret-changed a second time.',
  );
  reports.push({
    label: 'secret',
    report: await invokeChange(bundles.secretChanged, 'secret-changed', rotated),
  });

  // ── Parameter ──
  step(
    'A parameter changes',
    'someone runs PutParameter --overwrite; SSM sends EventBridge a "Parameter Store Change" event (operation Update), and the rule invokes the parameter-changed function. ECS reads the newest version when a task starts, so every service that reads it is queued.',
    'PutParameter on the emulator, then dist/parameter-changed with the event.',
  );
  await clients.ssm.send(
    new PutParameterCommand({
      Name: names.parameter,
      Value: 'https://api.internal.example/v2',
      Type: 'String',
      Overwrite: true,
    }),
  );
  reports.push({
    label: 'parameter',
    report: await invokeChange(
      bundles.parameterChanged,
      'parameter-changed',
      parameterStoreChange(account, names),
    ),
  });
  say();
  say(
    indent(
      wrap(
        'checkout-api reads both the secret and the parameter: it now has two messages waiting, and the state table records both changes as pending for it.',
        98,
      ),
    ),
  );

  // ── Worker ──
  step(
    'The redeploy worker drains the queue',
    `the SQS event source hands the redeploy-worker function up to 10 messages at a time and deletes the ones it reports done. For each, the worker takes every change pending for the service and calls UpdateService (forceNewDeployment) once for all of them, paced at 1 call a second (its share of the stack's default rate); a message whose changes are done already is dropped. A message that fails goes back to the queue and is retried later, and after 5 attempts it moves to the dead-letter queue.`,
    'the demo receives from the queue, calls dist/redeploy-worker with the SQS event, and deletes what it reports done.',
  );
  const outcomes = await drain(clients.sqs, account, bundles.redeployWorker, logs, names);

  // ── Result ──
  step(
    'What changed',
    'ECS starts new tasks for each redeployed service; they read the new values when they start, and the old tasks drain.',
  );
  const after = await deploymentIds(clients.ecs, account.services);
  const verdicts = account.services.map((service) => verdict(service, before, after, reports, outcomes));
  say();
  say(
    indent(
      table(
        ['CLUSTER', 'SERVICE', 'DEPLOYMENT BEFORE', 'DEPLOYMENT AFTER', 'CHANGED', 'WHY'],
        verdicts.map((v) => [
          v.service.clusterName,
          v.service.name,
          v.before,
          v.after,
          v.changed ? 'yes' : 'no',
          v.why,
        ]),
      ),
    ),
  );
  const changed = verdicts.filter((v) => v.changed).length;
  say();
  say(
    indent(
      `${changed} of ${verdicts.length} services got a new deployment; ${verdicts.length - changed} kept theirs.`,
    ),
  );
  const unexpected = verdicts.filter((v) => v.problem !== null);
  for (const v of unexpected) say(`  UNEXPECTED: ${v.service.name}: ${v.problem}`);
  for (const client of Object.values(clients)) client.destroy();
  return unexpected.length === 0 ? 0 : 1;
}

/** What the Lambda SQS event source does: receive a batch, invoke, delete what succeeded. */
async function drain(
  sqs: SQSClient,
  account: SeededAccount,
  worker: WorkerHandler,
  logs: FunctionLogs,
  names: DemoNames,
): Promise<WorkerOutcome[]> {
  const all: WorkerOutcome[] = [];
  const queueArn = `arn:aws:sqs:${REGION}:${account.account}:${names.queue}`;
  for (let batch = 1; ; batch++) {
    if (batch > 10) throw new DemoError('the redeploy queue did not drain in 10 batches');
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: account.queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length === 0) {
      if (batch === 1) say('  The queue is empty: nothing to redeploy.');
      return all;
    }
    say();
    say(`  Batch ${batch}: ${messages.length} message${messages.length === 1 ? '' : 's'}`);
    const { result, lines } = await logs.capture(() =>
      worker(
        sqsEventOf(messages, { queueArn, region: REGION }),
        lambdaContext('redeploy-worker', account.account, 120_000),
      ),
    );
    const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const message of messages) {
      const receipt = { QueueUrl: account.queueUrl, ReceiptHandle: message.ReceiptHandle };
      if (failed.has(message.MessageId ?? '')) {
        // The worker put it out of sight for a while before its retry; the demo does not wait for that.
        await sqs.send(new ChangeMessageVisibilityCommand({ ...receipt, VisibilityTimeout: 0 }));
      } else {
        await sqs.send(new DeleteMessageCommand(receipt));
      }
    }
    const outcomes = workerOutcomes(lines);
    all.push(...outcomes);
    say(
      indent(
        table(
          ['SERVICE', 'CLUSTER', 'WORKER DID', 'DEPLOYMENT', 'CHANGES'],
          outcomes.map((outcome) => [
            outcome.serviceName,
            outcome.clusterName,
            {
              redeployed: 'redeployed',
              'already-done': 'already done: dropped',
              retry: 'retry later',
              failed: 'failed: to the dead-letter queue',
            }[outcome.kind],
            outcome.deploymentId ?? '',
            outcome.changeKeys.map((key) => describeChangeKey(key, account, names)).join(' + '),
          ]),
        ),
        '    ',
      ),
    );
    for (const outcome of outcomes) {
      if (outcome.kind === 'redeployed' && outcome.changeKeys.length > 1) {
        say(
          `    ${outcome.serviceName}: one deployment for ${outcome.changeKeys.length} changes (they coalesced).`,
        );
      }
      if (outcome.kind === 'retry' && outcome.reason?.startsWith('ServiceBusyError') === true) {
        say(
          indent(
            wrap(
              `${outcome.serviceName}: another of its messages held the service at that moment (a batch's messages are handled in parallel), so this one is retried later, and then finds its change done.`,
              94,
            ),
            '    ',
          ),
        );
      } else if (outcome.kind === 'retry' || outcome.kind === 'failed') {
        say(`    ${outcome.serviceName}: ${outcome.reason ?? 'no reason logged'}`);
      }
    }
    if (failed.size > 0) {
      say(
        `    ${failed.size} message${failed.size === 1 ? '' : 's'} back on the queue. SQS would hand ${failed.size === 1 ? 'it' : 'them'} over again after the worker's retry delay; the demo does not wait.`,
      );
    }
  }
}

function describeChangeKey(key: string, account: SeededAccount, names: DemoNames): string {
  const [arn = '', ...rest] = key.split('|');
  if (arn === account.refs.secretArn && rest.length === 2) {
    return `secret ${names.secret} ${rest[0]}=${short(rest[1] ?? '')}`;
  }
  if (arn === account.refs.parameterArn && rest.length === 1) {
    return `parameter ${names.parameter} v${rest[0]}`;
  }
  return key;
}

async function deploymentIds(
  ecs: ECSClient,
  services: readonly SeededService[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const byCluster = new Map<string, SeededService[]>();
  for (const service of services) {
    byCluster.set(service.clusterName, [...(byCluster.get(service.clusterName) ?? []), service]);
  }
  for (const [cluster, members] of byCluster) {
    for (let start = 0; start < members.length; start += 10) {
      const answer = await ecs.send(
        new DescribeServicesCommand({
          cluster,
          services: members.slice(start, start + 10).map((service) => service.serviceArn),
        }),
      );
      for (const service of answer.services ?? []) {
        const primary =
          service.deployments?.find((deployment) => deployment.status === 'PRIMARY') ??
          service.deployments?.[0];
        ids.set(service.serviceArn ?? '', primary?.id ?? '(none)');
      }
    }
  }
  return ids;
}

interface Verdict {
  readonly service: SeededService;
  readonly before: string;
  readonly after: string;
  readonly changed: boolean;
  readonly why: string;
  /** null when the service ended as its seed says it should. */
  readonly problem: string | null;
}

function verdict(
  service: SeededService,
  before: Map<string, string>,
  after: Map<string, string>,
  reports: readonly { label: 'secret' | 'parameter'; report: Report }[],
  outcomes: readonly WorkerOutcome[],
): Verdict {
  const was = before.get(service.serviceArn) ?? '(unknown)';
  const now = after.get(service.serviceArn) ?? '(unknown)';
  const changed = was !== now;
  const queuedFor = new Set<string>();
  let skipReason: string | null = null;
  for (const { label, report } of reports) {
    const outcome = report.services.find((entry) => entry.serviceArn === service.serviceArn);
    if (outcome?.action === 'queued' || outcome?.action === 'redeployed') queuedFor.add(label);
    if (outcome?.action === 'skipped') skipReason = outcome.reason;
  }
  const deployments = outcomes.filter(
    (outcome) => outcome.serviceArn === service.serviceArn && outcome.kind === 'redeployed',
  ).length;
  let why: string;
  if (queuedFor.size > 0) {
    why = `redeployed: the ${[...queuedFor].join(' and the ')} changed`;
    if (queuedFor.size > 1 && deployments === 1) why += ', one deployment for both';
  } else if (skipReason !== null) {
    why = `skipped (${skipReason}): ${SKIP_EXPLAINED[skipReason] ?? ''}`;
  } else {
    why = 'reads neither: never considered';
  }

  let problem: string | null = null;
  const shouldChange = service.expected === 'redeployed';
  if (changed !== shouldChange) problem = `expected ${shouldChange ? 'a new' : 'no new'} deployment`;
  else if (shouldChange && deployments !== 1)
    problem = `expected one deployment, the worker made ${deployments}`;
  else if (service.expected === 'not a user' && (queuedFor.size > 0 || skipReason !== null)) {
    problem = 'expected no report to name it';
  } else if (!shouldChange && service.expected !== 'not a user' && skipReason !== service.expected) {
    problem = `expected to be skipped as ${service.expected}, got ${skipReason ?? 'no skip'}`;
  }
  return { service, before: was, after: now, changed, why, problem };
}

async function main(): Promise<number> {
  const started = Date.now();
  const logs = new FunctionLogs();
  say('rotation-redeploy: the local demo');
  say(
    wrap(
      'ECS tasks read their secrets and parameters once, when they start. When a value changes, running tasks keep the old one until the service is redeployed: this automation does that, driven by the events AWS sends. Here it runs end to end on a local AWS emulator, with no AWS account.',
    ),
  );
  say();
  try {
    const code = await run(logs);
    say("The functions' own log lines (JSON, as CloudWatch Logs would hold them) are in");
    say(`  ${logs.file}`);
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return code;
  } catch (error) {
    if (error instanceof MotoMissingError) {
      stderrWrite(
        [
          '',
          'npm start needs moto_server, the local AWS emulator, and it is not on PATH.',
          "Install it with:  pip install 'moto[server]'",
          "(checked against moto 5.2.1: pip install 'moto[server]==5.2.1'), make sure the directory it",
          'installs moto_server into is on PATH, and run npm start again.',
          'Or point the demo at an emulator you already run: AWS_ENDPOINT_URL=http://127.0.0.1:5000 npm start',
          '',
        ].join('\n'),
      );
      return 2;
    }
    const message = error instanceof DemoError ? error.message : ((error as Error).stack ?? String(error));
    stderrWrite(`\nThe demo stopped: ${message}\n`);
    if (logs.written) stderrWrite(`The functions' log lines are in ${logs.file}\n`);
    return 1;
  }
}

const code = await main();
process.exitCode = code;
// An idle keep-alive socket must not hold the process open: exit once output is flushed.
setTimeout(() => process.exit(code), 2_000).unref();
