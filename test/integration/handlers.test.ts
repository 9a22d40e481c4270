/**
 * The two Lambda handlers end to end against moto_server: configured by the environment exactly as Lambda
 * would (read once, when the module loads), invoked with the events of `events/` and a Lambda context,
 * their report returned, logged as one line and counted in an EMF document on stdout.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../functions/core/report.ts';
import { type ChangeWriter, changeWriter, storyEvent } from '../support/change-events.ts';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto.ts';
import {
  CURRENT_MOVED,
  changedRoles,
  type Expectation,
  OPT_TAG,
  outcomesIn,
  PARAMETER_CHANGED,
  planned,
  type RealisticAccount,
  type Role,
  rolesWith,
  seedRealisticAccount,
  TAGGED_ON,
} from '../support/realistic-account.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

type Handler = (event: unknown, context: Context) => Promise<Report>;

interface LoadedHandlers {
  readonly secretChanged: Handler;
  readonly parameterChanged: Handler;
  /** The error class of the same module graph as the handlers (each load is a fresh one). */
  readonly InvalidEventError: new (
    ...args: never[]
  ) => Error;
}

/** What the functions read from their environment; each load sets exactly these. */
const CONFIGURATION_KEYS = [
  'DRY_RUN',
  'SELECTION_MODE',
  'CONCURRENCY',
  'UPDATES_PER_SECOND',
  'TABLE_NAME',
  'QUEUE_URL',
];
/** Powertools switches that would silence the metrics or change where logs go. */
const POWERTOOLS_SWITCHES = [
  'POWERTOOLS_DEV',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_LOG_LEVEL',
  'AWS_LAMBDA_LOG_LEVEL',
];

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'rotation-redeploy-secret-changed',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rotation-redeploy-secret-changed',
  memoryLimitInMB: '512',
  awsRequestId: '6f1c2a9e-4b7d-4e0a-9c3f-2d5b8e1a4c7f',
  logGroupName: '/aws/lambda/rotation-redeploy-secret-changed',
  logStreamName: '2025/11/05/[$LATEST]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 300_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

let moto: MotoServer;
let proxy: RecordingProxy;
let seed: Seeder;
let account: RealisticAccount;
let writer: ChangeWriter;
const savedEnvironment: Record<string, string | undefined> = {};

function setEnvironment(values: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(values)) {
    if (!(key in savedEnvironment)) savedEnvironment[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

/** Loads both handler modules afresh, as a new execution environment with this configuration would. */
async function loadHandlers(configuration: Record<string, string> = {}): Promise<LoadedHandlers> {
  vi.resetModules();
  setEnvironment({
    ...Object.fromEntries(CONFIGURATION_KEYS.map((key) => [key, undefined])),
    // The account's UpdateService bucket allows 5 a second; the default 2 only makes the tests slower.
    UPDATES_PER_SECOND: '5',
    ...configuration,
  });
  const [secret, parameter, errors] = await Promise.all([
    import('../../functions/handlers/secret-changed.ts'),
    import('../../functions/handlers/parameter-changed.ts'),
    import('../../functions/core/errors.ts'),
  ]);
  return {
    secretChanged: secret.handler as Handler,
    parameterChanged: parameter.handler as Handler,
    InvalidEventError: errors.InvalidEventError,
  };
}

/** One JSON line Powertools wrote: a log entry or an EMF document. */
type LogLine = Record<string, unknown>;

interface EmfDocument extends LogLine {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string }[];
    }[];
  };
}

interface Invocation {
  readonly report?: Report;
  readonly error?: unknown;
  /** Every JSON line written to stdout meanwhile: Powertools writes its logs and EMF documents there. */
  readonly lines: LogLine[];
  /** Every JSON line written to stderr meanwhile: Powertools writes warnings and errors there. */
  readonly errorLines: LogLine[];
}

function capture(stream: NodeJS.WriteStream): { restore: () => LogLine[] } {
  let written = '';
  const spy = vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  return {
    restore: () => {
      spy.mockRestore();
      return written
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);
    },
  };
}

async function invoke(handler: Handler, event: unknown): Promise<Invocation> {
  const stdout = capture(process.stdout);
  const stderr = capture(process.stderr);
  let outcome: { report?: Report; error?: unknown };
  try {
    outcome = { report: await handler(event, context) };
  } catch (error) {
    outcome = { error };
  }
  return { ...outcome, lines: stdout.restore(), errorLines: stderr.restore() };
}

/** The EMF documents among the lines: those naming CloudWatch metrics. */
function metricDocuments(lines: readonly LogLine[]): EmfDocument[] {
  return lines.filter((line): line is EmfDocument => {
    const aws = line._aws as { CloudWatchMetrics?: unknown } | undefined;
    return Array.isArray(aws?.CloudWatchMetrics);
  });
}

/** Every metric value of the documents in namespace RotationRedeploy, by name. */
function metricValues(lines: readonly LogLine[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const document of metricDocuments(lines)) {
    for (const directive of document._aws.CloudWatchMetrics) {
      if (directive.Namespace !== 'RotationRedeploy') continue;
      for (const metric of directive.Metrics) values[metric.Name] = document[metric.Name];
    }
  }
  return values;
}

async function event(file: string): Promise<unknown> {
  return JSON.parse((await storyEvent(file, writer, account)).text);
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.endpoint);
  seed = seeder(moto.endpoint);
  account = await seedRealisticAccount(seed);
  writer = changeWriter(seed.clients, account);
  const inherited = Object.keys(process.env).filter((key) => key.startsWith('AWS_'));
  setEnvironment({
    ...Object.fromEntries([...inherited, ...POWERTOOLS_SWITCHES].map((key) => [key, undefined])),
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_LAMBDA_FUNCTION_NAME: context.functionName,
  });
});

afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnvironment)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  vi.resetModules();
  seed?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

describe('secret-changed and parameter-changed handlers', () => {
  let handlers: LoadedHandlers;

  beforeAll(async () => {
    handlers = await loadHandlers();
  });

  it('redeploys every service that reads the moved secret, returns the report and logs it as one line', async () => {
    // Prepare
    const labelUpdated = await event('secretsmanager-label-updated.json');
    const before = await account.deploymentIds();

    // Act
    const { report, error, lines } = await invoke(handlers.secretChanged, labelUpdated);

    // Assess
    const after = await account.deploymentIds();
    expect(error).toBeUndefined();
    expect(outcomesIn(report?.services ?? [], account)).toEqual(CURRENT_MOVED);
    expect(changedRoles(before, after)).toEqual(rolesWith(CURRENT_MOVED, 'redeployed'));
    for (const service of report?.services ?? []) {
      const role = account.roleOf(service.serviceArn);
      if (service.action === 'redeployed' && role !== undefined)
        expect(service.deploymentId, role).toBe(after[role]);
    }
    const logged = lines.filter((line) => line.message === 'redeploy report');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.report).toEqual(report);
    expect(logged[0]).toMatchObject({
      level: 'INFO',
      service: 'rotation-redeploy',
      function_name: context.functionName,
    });
  });

  it('emits the run as EMF metrics in namespace RotationRedeploy, with low-cardinality dimensions only', async () => {
    // Prepare
    const putSecretValue = await event('cloudtrail-put-secret-value.json');

    // Act
    const { error, lines } = await invoke(handlers.secretChanged, putSecretValue);

    // Assess
    expect(error).toBeUndefined();
    const redeployed = rolesWith(CURRENT_MOVED, 'redeployed').length;
    expect(metricValues(lines)).toMatchObject({
      ServicesMatched: Object.keys(CURRENT_MOVED).length,
      ServicesRedeployed: redeployed,
      ServicesSkipped: Object.keys(CURRENT_MOVED).length - redeployed,
      ServicesFailed: 0,
      EventsIgnored: 0,
    });
    const documents = metricDocuments(lines);
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      for (const directive of document._aws.CloudWatchMetrics) {
        for (const dimension of directive.Dimensions.flat()) {
          expect(String(document[dimension]), dimension).not.toMatch(/arn:|prod\/db-password|ecs-svc\//);
        }
      }
    }
  });

  it('redeploys every service that reads the changed parameter', async () => {
    // Prepare
    const parameterUpdate = await event('ssm-parameter-update.json');
    const before = await account.deploymentIds();

    // Act
    const { report, error, lines } = await invoke(handlers.parameterChanged, parameterUpdate);

    // Assess
    const after = await account.deploymentIds();
    expect(error).toBeUndefined();
    expect(outcomesIn(report?.services ?? [], account)).toEqual(PARAMETER_CHANGED);
    expect(changedRoles(before, after)).toEqual(rolesWith(PARAMETER_CHANGED, 'redeployed'));
    expect(report?.change).toMatchObject({ kind: 'ssm', arn: account.parameterArn, name: '/prod/api/url' });
    expect(metricValues(lines)).toMatchObject({ ServicesRedeployed: 3 });
  });

  it('reports an event that changes nothing as ignored, with its reason, and counts it', async () => {
    // Prepare
    const pending = await event('cloudtrail-put-secret-value-pending.json');
    const before = await account.deploymentIds();
    proxy.clear();

    // Act
    const { report, error, lines } = await invoke(handlers.secretChanged, pending);

    // Assess
    expect(error).toBeUndefined();
    expect(report?.ignored).toBe('pending-version-only');
    expect(report?.services).toEqual([]);
    expect(changedRoles(before, await account.deploymentIds())).toEqual([]);
    expect(proxy.callsOf('UpdateService')).toEqual([]);
    expect(metricValues(lines)).toMatchObject({ EventsIgnored: 1, ServicesRedeployed: 0 });
  });

  it('refuses an event of an unsupported kind with InvalidEventError', async () => {
    // Prepare
    const unsupported = await event('ecs-deployment-completed.json');
    proxy.clear();

    // Act
    const { error, errorLines } = await invoke(handlers.secretChanged, unsupported);

    // Assess
    expect(error).toBeInstanceOf(handlers.InvalidEventError);
    expect((error as Error).message).toMatch(/aws\.ecs/);
    expect(proxy.calls).toEqual([]);
    expect(errorLines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        error: expect.objectContaining({ name: 'InvalidEventError' }),
      }),
    ]);
  });

  it('refuses a Secrets Manager event in the parameter handler, and an SSM event in the secret handler', async () => {
    // Prepare
    const secretEvent = await event('secretsmanager-label-updated.json');
    const parameterEvent = await event('ssm-parameter-update-plain-name.json');
    const before = await account.deploymentIds();
    proxy.clear();

    // Act
    const inParameterHandler = await invoke(handlers.parameterChanged, secretEvent);
    const inSecretHandler = await invoke(handlers.secretChanged, parameterEvent);

    // Assess
    expect(inParameterHandler.error).toBeInstanceOf(handlers.InvalidEventError);
    expect((inParameterHandler.error as Error).message).toMatch(/SSM Parameter Store/);
    expect(inSecretHandler.error).toBeInstanceOf(handlers.InvalidEventError);
    expect((inSecretHandler.error as Error).message).toMatch(/Secrets Manager/);
    expect(proxy.calls).toEqual([]);
    expect(changedRoles(before, await account.deploymentIds())).toEqual([]);
  });
});

describe('handler configuration from the environment', () => {
  it('reports what would be redeployed and changes no deployment when DRY_RUN is true', async () => {
    // Prepare
    const { secretChanged } = await loadHandlers({ DRY_RUN: 'true' });
    const labelUpdated = await event('secretsmanager-label-updated.json');
    const before = await account.deploymentIds();
    proxy.clear();

    // Act
    const { report, error, lines } = await invoke(secretChanged, labelUpdated);

    // Assess
    expect(error).toBeUndefined();
    expect(report?.dryRun).toBe(true);
    expect(outcomesIn(report?.services ?? [], account)).toEqual(planned(CURRENT_MOVED));
    expect(changedRoles(before, await account.deploymentIds())).toEqual([]);
    expect(proxy.callsOf('UpdateService')).toEqual([]);
    expect(metricValues(lines)).toMatchObject({ ServicesRedeployed: 0 });
  });

  it('considers only services tagged rotation-redeploy=on, found with the tagging API, when SELECTION_MODE is tagged', async () => {
    // Prepare
    const { secretChanged } = await loadHandlers({ SELECTION_MODE: 'tagged' });
    const labelUpdated = await event('secretsmanager-label-updated.json');
    const before = await account.deploymentIds();
    proxy.clear();

    // Act
    const { report, error } = await invoke(secretChanged, labelUpdated);

    // Assess
    const after = await account.deploymentIds();
    expect(error).toBeUndefined();
    const tagged: Expectation = Object.fromEntries(
      Object.entries(CURRENT_MOVED).filter(([role]) => TAGGED_ON.includes(role as Role)),
    );
    expect(outcomesIn(report?.services ?? [], account)).toEqual(tagged);
    expect(changedRoles(before, after)).toEqual(rolesWith(tagged, 'redeployed'));
    expect(report?.scanned.services).toBe(TAGGED_ON.length);
    expect(proxy.callsOf('GetResources').map((call) => call.input)).toEqual([
      expect.objectContaining({
        ResourceTypeFilters: ['ecs:service'],
        TagFilters: [{ Key: OPT_TAG, Values: ['on'] }],
      }),
    ]);
    expect(proxy.callsOf('ListClusters')).toEqual([]);
    expect(proxy.callsOf('ListServices')).toEqual([]);
  });

  it('fails to load with a message naming the variable when SELECTION_MODE is not a mode', async () => {
    // Act
    const loading = loadHandlers({ SELECTION_MODE: 'everything' });

    // Assess
    await expect(loading).rejects.toThrow(/SELECTION_MODE/);
    await expect(loading).rejects.toMatchObject({ name: 'ConfigurationError' });
  });
});
