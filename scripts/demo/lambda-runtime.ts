/**
 * The stand-in for the Lambda runtime: each bundle `cdk deploy` uploads (dist/<name>/index.mjs) is imported
 * as a fresh execution environment would, with the environment the stack gives it, and invoked with a
 * Lambda context. Whatever a bundle writes goes to the functions' log file.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { BUNDLES, type BundleName, ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/contract.ts';
import type { Report } from '../../functions/core/report.ts';
import { DEFAULTS, LIMITS } from '../../functions/wiring/limits.ts';
import { DemoError } from './demo-error.ts';
import type { FunctionLogs, LogLine } from './function-logs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type ChangeHandler = (event: unknown, context: Context) => Promise<Report>;
type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type SettleHandler = WorkerHandler;

/** A function invoked once: what it returned and the JSON lines it logged. */
export interface Invocation<T> {
  readonly result: T;
  readonly lines: readonly LogLine[];
}

export interface Functions {
  secretChanged(event: unknown): Promise<Invocation<Report>>;
  parameterChanged(event: unknown): Promise<Invocation<Report>>;
  redeployWorker(event: SQSEvent): Promise<Invocation<SQSBatchResponse>>;
  /** The settle function, fed from its queue: ECS Deployment State Change events and delayed looks. */
  settleRollouts(event: SQSEvent): Promise<Invocation<SQSBatchResponse>>;
}

/** What the functions need to know about the emulator and the account the demo seeded. */
export interface FunctionSetting {
  readonly endpoint: string;
  readonly region: string;
  readonly account: string;
  readonly tableName: string;
  readonly queueUrl: string;
  /** The queue's visibility timeout: how long the worker holds a service it is redeploying. */
  readonly visibilityTimeoutSeconds: number;
  /** The settle queue (events and delayed looks) and the topic settled reports are published to. */
  readonly settleQueueUrl: string;
  readonly notifyTopicArn: string;
}

/** The worker's UpdateService rate here: half the stack's default 2 a second, as two worker instances may run. */
export const WORKER_UPDATES_PER_SECOND = 1;
/** Receives of one message before the queue moves it to its dead-letter queue (the stack's default). */
export const MAX_RECEIVE_COUNT = LIMITS.maxReceiveCount.default;
/**
 * The stack waits a minute by default, so that changes to one service within it share a deployment; the
 * demo does not wait (changes that reach the worker together still share one).
 */
export const COALESCE_SECONDS = 0;
/** The Lambda timeouts the stack gives the change functions and the worker. */
const CHANGE_TIMEOUT_MS = 900_000;
const WORKER_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 60_000;

/** Imports the four bundles with the stack's environment; each reads it once, at import. */
export async function loadFunctions(logs: FunctionLogs, setting: FunctionSetting): Promise<Functions> {
  Object.assign(process.env, {
    AWS_REGION: setting.region,
    AWS_DEFAULT_REGION: setting.region,
    AWS_ENDPOINT_URL: setting.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // The stack's observability settings; the log lines go to the file anyway.
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'POWERTOOLS_DEV']) delete process.env[name];
  // What the change functions and the worker need to have what they start followed to its end.
  const following = {
    [ENV.settleQueueUrl]: setting.settleQueueUrl,
    [ENV.rolloutTimeoutMinutes]: String(LIMITS.rolloutTimeoutMinutes.default),
  };
  const changeEnv = {
    [ENV.dryRun]: String(DEFAULTS.dryRun),
    [ENV.selectionMode]: DEFAULTS.selectionMode,
    [ENV.concurrency]: String(LIMITS.concurrency.default),
    [ENV.tableName]: setting.tableName,
    [ENV.queueUrl]: setting.queueUrl,
    [ENV.coalesceSeconds]: String(COALESCE_SECONDS),
    ...following,
  };
  const secretChanged = await importHandler<ChangeHandler>(logs, BUNDLES.secretChanged, changeEnv);
  const parameterChanged = await importHandler<ChangeHandler>(logs, BUNDLES.parameterChanged, changeEnv);
  const worker = await importHandler<WorkerHandler>(logs, BUNDLES.redeployWorker, {
    [ENV.queueUrl]: setting.queueUrl,
    [ENV.tableName]: setting.tableName,
    [ENV.updatesPerSecond]: String(WORKER_UPDATES_PER_SECOND),
    [ENV.maxReceiveCount]: String(MAX_RECEIVE_COUNT),
    [ENV.visibilityTimeoutSeconds]: String(setting.visibilityTimeoutSeconds),
    ...following,
  });
  const settle = await importHandler<SettleHandler>(logs, BUNDLES.settleRollouts, {
    ...following,
    [ENV.tableName]: setting.tableName,
    [ENV.notifyTopicArn]: setting.notifyTopicArn,
    [ENV.notifyOn]: DEFAULTS.notifyOn,
  });
  const invoke =
    <E, R>(handler: (event: E, context: Context) => Promise<R>, name: BundleName, timeoutMs: number) =>
    (event: E) =>
      logs.capture(() => handler(event, lambdaContext(name, setting, timeoutMs)));
  return {
    secretChanged: invoke(secretChanged, BUNDLES.secretChanged, CHANGE_TIMEOUT_MS),
    parameterChanged: invoke(parameterChanged, BUNDLES.parameterChanged, CHANGE_TIMEOUT_MS),
    redeployWorker: invoke(worker, BUNDLES.redeployWorker, WORKER_TIMEOUT_MS),
    settleRollouts: invoke(settle, BUNDLES.settleRollouts, SETTLE_TIMEOUT_MS),
  };
}

async function importHandler<T>(
  logs: FunctionLogs,
  name: BundleName,
  env: Record<string, string>,
): Promise<T> {
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

function lambdaContext(functionName: string, setting: FunctionSetting, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${setting.region}:${setting.account}:function:${functionName}`,
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
