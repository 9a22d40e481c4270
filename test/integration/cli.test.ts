/**
 * The operator CLI end to end, as a person runs it: `node bin/rotation-redeploy.mjs ...` in a child
 * process, pointed at a moto_server by the SDK's standard environment, in front of which a recording proxy
 * counts the ECS calls and injects the faults moto cannot produce. Every event of `events/` is sent after
 * the change it announces was really made; what counts is which services' deployments moved in the emulator.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import type { WhoUsesReport } from '../../functions/app/who-uses.ts';
import type { Report } from '../../functions/core/report.ts';
import {
  type ChangeWriter,
  changeWriter,
  type EventJson,
  FIXTURE_VERSIONS,
  fixtureFiles,
  storyEvent,
} from '../support/change-events.ts';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto.ts';
import {
  BLUE_MOVED,
  CLUSTERS,
  CURRENT_MOVED,
  changedRoles,
  type Expectation,
  outcomesIn,
  PARAMETER_CHANGED,
  PARAMETER_NAME,
  PARAMETER_USERS,
  PLAIN_PARAMETER_CHANGED,
  PLAIN_PARAMETER_NAME,
  planned,
  type RealisticAccount,
  ROLES,
  type Role,
  rolesWith,
  SECRET_FOLLOWERS,
  SECRET_NAME,
  SECRET_USERS,
  seedRealisticAccount,
} from '../support/realistic-account.ts';
import { type RecordedCall, type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rotation-redeploy.mjs');

type ChangedItem = 'secret' | 'parameter' | 'plain-parameter';

interface ChangeCase {
  readonly file: string;
  readonly expectation: Expectation;
  readonly item: ChangedItem;
  readonly label: string | null;
  readonly trigger: string;
  /** The fixture version id whose real counterpart the report must carry; null when the event has none. */
  readonly version: string | null;
}

const secretChange = (file: string, trigger: string, version: string | null, label = 'AWSCURRENT') => ({
  file,
  expectation: label === 'AWSCURRENT' ? CURRENT_MOVED : BLUE_MOVED,
  item: 'secret' as const,
  label,
  trigger,
  version,
});
const parameterChange = (file: string, item: ChangedItem) => ({
  file,
  expectation: item === 'parameter' ? PARAMETER_CHANGED : PLAIN_PARAMETER_CHANGED,
  item,
  label: null,
  trigger: 'Parameter Store Change',
  version: null,
});

const CHANGES: ChangeCase[] = [
  secretChange('secretsmanager-label-updated.json', 'Secret Label Updated', FIXTURE_VERSIONS.rotatedTo),
  secretChange(
    'secretsmanager-label-updated-custom-label.json',
    'Secret Label Updated',
    FIXTURE_VERSIONS.blue,
    'BLUE',
  ),
  secretChange('cloudtrail-put-secret-value.json', 'PutSecretValue', FIXTURE_VERSIONS.putValue),
  secretChange('cloudtrail-update-secret-value.json', 'UpdateSecret', FIXTURE_VERSIONS.updateValue),
  secretChange(
    'cloudtrail-update-secret-version-stage.json',
    'UpdateSecretVersionStage',
    FIXTURE_VERSIONS.rotatedTo,
  ),
  secretChange(
    'cloudtrail-update-secret-version-stage-legacy-arn.json',
    'UpdateSecretVersionStage',
    FIXTURE_VERSIONS.rotatedTo,
  ),
  secretChange('cloudtrail-rotation-succeeded.json', 'RotationSucceeded', null),
  parameterChange('ssm-parameter-create.json', 'parameter'),
  parameterChange('ssm-parameter-update.json', 'parameter'),
  parameterChange('ssm-parameter-update-plain-name.json', 'plain-parameter'),
];

const IGNORED: [file: string, reason: string, item: ChangedItem][] = [
  ['cloudtrail-put-secret-value-pending.json', 'pending-version-only', 'secret'],
  ['cloudtrail-update-secret-metadata.json', 'metadata-only', 'secret'],
  ['cloudtrail-rotation-failed.json', 'rotation-not-completed', 'secret'],
  ['cloudtrail-rotate-secret.json', 'rotation-not-completed', 'secret'],
  ['ssm-parameter-delete.json', 'parameter-deleted', 'parameter'],
  ['ssm-parameter-label-version.json', 'parameter-label-changed', 'parameter'],
];

const REFUSED: [file: string, message: RegExp][] = [
  ['ecs-deployment-in-progress.json', /unsupported event.*aws\.ecs.*ECS Deployment State Change/],
  ['ecs-deployment-completed.json', /unsupported event.*aws\.ecs.*ECS Deployment State Change/],
  ['ecs-deployment-failed.json', /unsupported event.*aws\.ecs.*ECS Deployment State Change/],
  ['ecs-deployment-rollback-in-progress.json', /unsupported event.*aws\.ecs.*ECS Deployment State Change/],
  ['not-json.txt', /not valid JSON/],
];

// ---------------------------------------------------------------------------------------------------------
// Lanes: a moto_server each, holding the realistic account, with a recording proxy in front. A test takes a
// lane for itself, so tests that redeploy run side by side and still see only their own deployments and
// calls. The CLI paces UpdateService (2 a second), so a run that redeploys ten services mostly waits; and one
// moto_server is a single Python process, which several lanes sharing it would queue behind.

const LANES = 4;

interface Lane {
  readonly moto: MotoServer;
  readonly proxy: RecordingProxy;
  readonly seed: Seeder;
  readonly account: RealisticAccount;
  readonly writer: ChangeWriter;
}

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every lane being made or made; each is handed to a test as soon as it is seeded. */
const lanes: Promise<Lane>[] = [];
const idle: Lane[] = [];
const waiting: ((lane: Lane) => void)[] = [];
let workDir: string;
let eventCount = 0;

async function createLane(): Promise<Lane> {
  const moto = await startMoto();
  const proxy = await startRecordingProxy(moto.endpoint);
  const seed = seeder(moto.endpoint);
  const account = await seedRealisticAccount(seed);
  return { moto, proxy, seed, account, writer: changeWriter(seed.clients, account) };
}

function release(lane: Lane): void {
  lane.proxy.heal();
  const next = waiting.shift();
  if (next === undefined) idle.push(lane);
  else next(lane);
}

/** Runs `work` with a lane no other test uses meanwhile. */
async function inLane<T>(work: (lane: Lane) => Promise<T>): Promise<T> {
  const lane = idle.pop() ?? (await new Promise<Lane>((resolve) => waiting.push(resolve)));
  try {
    return await work(lane);
  } finally {
    release(lane);
  }
}

/** The SDK's standard configuration only: no profile, no shared files, the lane's proxy as endpoint. */
function cliEnvironment(lane: Lane): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')),
  );
  return {
    ...inherited,
    AWS_ENDPOINT_URL: lane.proxy.endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
  };
}

function cli(lane: Lane, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: cliEnvironment(lane), timeout: 45_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(
            new Error(`rotation-redeploy ${args.join(' ')} did not finish: ${error.message}\n${stderr}`),
          );
          return;
        }
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
  });
}

/** Makes the change the fixture announces in the lane's account and writes the event to send for it. */
async function eventFile(lane: Lane, file: string, edit?: (event: EventJson) => void) {
  const event = await storyEvent(file, lane.writer, lane.account, edit);
  eventCount += 1;
  const path = join(workDir, `${eventCount}-${file}`);
  await writeFile(path, event.text);
  return { path, versions: event.versions };
}

function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch (error) {
    throw new Error(
      `stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`,
      {
        cause: error,
      },
    );
  }
}

const outcomes = (report: Report, account: RealisticAccount) => outcomesIn(report.services, account);

const roles = (services: readonly { serviceArn: string }[], account: RealisticAccount) =>
  sorted(services.map((service) => account.roleOf(service.serviceArn) ?? service.serviceArn));

/** The role an UpdateService call names, by name or ARN; undefined for anything else. */
function roleUpdated(call: RecordedCall, account: RealisticAccount): Role | undefined {
  const { cluster, service } = call.input;
  return ROLES.find((role) => {
    const seeded = account.services[role];
    return (
      (cluster === seeded.cluster || cluster === seeded.clusterArn) &&
      (service === seeded.name || service === seeded.arn)
    );
  });
}

function changedItem(account: RealisticAccount, item: ChangedItem): { arn: string; name: string } {
  if (item === 'secret') return { arn: account.secret.arn, name: SECRET_NAME };
  if (item === 'parameter') return { arn: account.parameterArn, name: PARAMETER_NAME };
  return { arn: account.plainParameterArn, name: PLAIN_PARAMETER_NAME };
}

/** The rows of a table the CLI printed, cut at the columns of its header line. */
function tableRows(text: string): Record<string, string>[] {
  const lines = text.split('\n');
  const headerIndex = lines.findIndex((line) => line.startsWith('SERVICE'));
  if (headerIndex < 0) return [];
  const columns = [...(lines[headerIndex] ?? '').matchAll(/\S+(?: \S+)*/g)].map((match) => ({
    title: match[0],
    start: match.index,
  }));
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(headerIndex + 2)) {
    if (line.trim() === '') break;
    rows.push(
      Object.fromEntries(
        columns.map((column, index) => [
          column.title,
          line.slice(column.start, columns[index + 1]?.start ?? line.length).trim(),
        ]),
      ),
    );
  }
  return rows;
}

function sorted<T extends string>(values: readonly T[]): T[] {
  return [...values].sort();
}
const activeServices = (account: RealisticAccount) => ROLES.filter((role) => account.services[role].active);
const currentTaskDefinitions = (account: RealisticAccount) =>
  sorted([...new Set(activeServices(account).map((role) => account.services[role].taskDefinitionArn))]);

/** Exit 0, nothing on stderr (progress is for terminals only), and exactly one JSON document on stdout. */
function doneReport<T>(expect: ExpectStatic, result: CliResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return parseJson<T>(result);
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'rotation-redeploy-cli-'));
  for (let index = 0; index < LANES; index += 1) lanes.push(createLane());
  // Tests start on the first lane seeded; the others join as they are ready.
  const [first, ...others] = lanes;
  for (const lane of others) lane.then(release, () => {});
  if (first === undefined) throw new Error('no lane to run the CLI tests on');
  release(await first);
});

afterAll(async () => {
  const made = await Promise.allSettled(lanes);
  for (const result of made) {
    if (result.status !== 'fulfilled') continue;
    result.value.seed.destroy();
    await result.value.proxy.stop();
    await result.value.moto.stop();
  }
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  const failed = made.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw new Error('a lane could not be made', { cause: failed.reason });
});

describe('rotation-redeploy run', () => {
  it('has an expectation for every sample event in events/', ({ expect }) => {
    const covered = [
      ...CHANGES.map((change) => change.file),
      ...IGNORED.map(([file]) => file),
      ...REFUSED.map(([file]) => file),
    ];

    expect(sorted(covered)).toEqual(fixtureFiles());
  });

  it.concurrent.for(CHANGES)(
    'redeploys exactly the services that read the value $file changed, and reports the others skipped with a reason',
    async ({ file, expectation, item, label, trigger, version }, { expect }) =>
      inLane(async (lane) => {
        // Prepare
        const { account, proxy } = lane;
        const { path, versions } = await eventFile(lane, file);
        const before = await account.deploymentIds();
        proxy.clear();

        // Act
        const result = await cli(lane, 'run', '--event', path, '--json');

        // Assess
        const after = await account.deploymentIds();
        const report = doneReport<Report>(expect, result);
        expect(outcomes(report, account)).toEqual(expectation);
        const redeployed = rolesWith(expectation, 'redeployed');
        expect(changedRoles(before, after)).toEqual(redeployed);
        for (const service of report.services) {
          const role = account.roleOf(service.serviceArn) as Role;
          expect(service.deploymentId, role).toBe(service.action === 'redeployed' ? after[role] : null);
          expect(service.references.length, role).toBeGreaterThan(0);
        }
        const updates = proxy.callsOf('UpdateService');
        expect(
          sorted(updates.map((call) => roleUpdated(call, account) ?? JSON.stringify(call.input))),
        ).toEqual(sorted(redeployed));
        for (const update of updates) {
          expect(Object.keys(update.input).sort()).toEqual(['cluster', 'forceNewDeployment', 'service']);
          expect(update.input.forceNewDeployment).toBe(true);
        }
        expect(report.summary).toMatchObject({
          matched: Object.keys(expectation).length,
          redeployed: redeployed.length,
          wouldRedeploy: 0,
          skipped: Object.keys(expectation).length - redeployed.length,
          failed: 0,
        });
        expect(report.ignored).toBeNull();
        expect(report.dryRun).toBe(false);
        expect(report.change).toMatchObject({
          kind: item === 'secret' ? 'secretsmanager' : 'ssm',
          ...changedItem(account, item),
          account: account.id,
          region: account.region,
          label,
          versionId: version === null ? null : (versions[version] ?? `the real version of ${version}`),
          trigger,
        });
        expect(report.scanned).toEqual({
          clusters: CLUSTERS.length,
          services: activeServices(account).length,
          taskDefinitions: currentTaskDefinitions(account).length,
        });
      }),
  );

  it.concurrent('finds the secret from requestParameters.secretId when a CloudTrail record has no responseElements', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { account } = lane;
      const { path } = await eventFile(lane, 'cloudtrail-put-secret-value.json', (event) => {
        event.detail.responseElements = null;
      });
      const before = await account.deploymentIds();

      // Act
      const result = await cli(lane, 'run', '--event', path, '--json');

      // Assess
      const after = await account.deploymentIds();
      const report = doneReport<Report>(expect, result);
      expect(outcomes(report, account)).toEqual(CURRENT_MOVED);
      expect(changedRoles(before, after)).toEqual(rolesWith(CURRENT_MOVED, 'redeployed'));
      expect(report.change).toMatchObject({ kind: 'secretsmanager', name: SECRET_NAME, account: account.id });
    }));

  it.concurrent.for(IGNORED)(
    'ignores %s with reason %s, looks at no service and exits 0',
    async ([file, reason, item], { expect }) =>
      inLane(async (lane) => {
        // Prepare
        const { account, proxy } = lane;
        const { path } = await eventFile(lane, file);
        const before = await account.deploymentIds();
        proxy.clear();

        // Act
        const result = await cli(lane, 'run', '--event', path, '--json');

        // Assess
        const after = await account.deploymentIds();
        const report = doneReport<Report>(expect, result);
        expect(report.ignored).toBe(reason);
        expect(report.change).toMatchObject({
          kind: item === 'secret' ? 'secretsmanager' : 'ssm',
          ...changedItem(account, item),
          account: account.id,
        });
        expect(report.services).toEqual([]);
        expect(report.summary).toMatchObject({
          matched: 0,
          redeployed: 0,
          wouldRedeploy: 0,
          skipped: 0,
          failed: 0,
        });
        expect(changedRoles(before, after)).toEqual([]);
        expect(proxy.calls).toEqual([]);
      }),
  );

  it.concurrent.for(REFUSED)(
    'refuses %s with exit code 2, a message on stderr and nothing on stdout',
    async ([file, message], { expect }) =>
      inLane(async (lane) => {
        // Prepare
        const { path } = await eventFile(lane, file);
        lane.proxy.clear();

        // Act
        const result = await cli(lane, 'run', '--event', path, '--json');

        // Assess
        expect(result.code).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(message);
        expect(lane.proxy.calls).toEqual([]);
      }),
  );

  it.concurrent('refuses an event that lacks a field its kind needs, naming the field', async ({ expect }) =>
    inLane(async (lane) => {
      // Prepare
      const { path } = await eventFile(lane, 'secretsmanager-label-updated.json', (event) => {
        delete event.detail.labelUpdated;
      });
      const before = await lane.account.deploymentIds();

      // Act
      const result = await cli(lane, 'run', '--event', path, '--json');

      // Assess
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/detail\.labelUpdated/);
      expect(changedRoles(before, await lane.account.deploymentIds())).toEqual([]);
    }));

  it.concurrent('refuses an event file that does not exist, with exit code 2', async ({ expect }) =>
    inLane(async (lane) => {
      // Act
      const result = await cli(lane, 'run', '--event', join(workDir, 'no-such-event.json'), '--json');

      // Assess
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/no-such-event\.json/);
    }));

  it.concurrent('reports a service whose redeploy fails, redeploys the others and exits 1', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { account, proxy } = lane;
      const { path } = await eventFile(lane, 'cloudtrail-put-secret-value.json');
      const before = await account.deploymentIds();
      const denied = `User: arn:aws:sts::${account.id}:assumed-role/redeployer is not authorized to perform: ecs:UpdateService`;
      proxy.failWhen(
        (call) => call.action === 'UpdateService' && roleUpdated(call, account) === 'partial-arn',
        {
          type: 'AccessDeniedException',
          message: denied,
        },
      );

      // Act
      const result = await cli(lane, 'run', '--event', path, '--json');

      // Assess
      const after = await account.deploymentIds();
      expect(result.code).toBe(1);
      const report = parseJson<Report>(result);
      expect(outcomes(report, account)).toEqual({
        ...CURRENT_MOVED,
        'partial-arn': `failed:AccessDeniedException: ${denied}`,
      });
      const others = rolesWith(CURRENT_MOVED, 'redeployed').filter((role) => role !== 'partial-arn');
      expect(changedRoles(before, after)).toEqual(others);
      expect(report.summary).toMatchObject({ failed: 1, redeployed: others.length });
    }));

  it.concurrent('prints a table and a summary without --json, and nothing on stderr off a terminal', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { account } = lane;
      const { path } = await eventFile(lane, 'ssm-parameter-update-plain-name.json');
      const before = await account.deploymentIds();

      // Act
      const result = await cli(lane, 'run', '--event', path);

      // Assess
      const after = await account.deploymentIds();
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(() => JSON.parse(result.stdout)).toThrow();
      const rows = tableRows(result.stdout);
      expect(
        Object.fromEntries(
          rows.map((row) => [row.SERVICE, row.REASON ? `${row.ACTION}:${row.REASON}` : row.ACTION]),
        ),
      ).toEqual(PLAIN_PARAMETER_CHANGED);
      for (const role of rolesWith(PLAIN_PARAMETER_CHANGED, 'redeployed')) {
        expect(rows.find((row) => row.SERVICE === role)?.DEPLOYMENT).toBe(after[role]);
      }
      expect(changedRoles(before, after)).toEqual(rolesWith(PLAIN_PARAMETER_CHANGED, 'redeployed'));
      expect(result.stdout).toMatch(/2 redeployed, 4 skipped, 0 failed/);
    }));

  it.concurrent('names the reason an event is ignored in the table', async ({ expect }) =>
    inLane(async (lane) => {
      // Prepare
      const { path } = await eventFile(lane, 'cloudtrail-put-secret-value-pending.json');

      // Act
      const result = await cli(lane, 'run', '--event', path);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/pending-version-only/);
      expect(tableRows(result.stdout)).toEqual([]);
    }));
});

// ---------------------------------------------------------------------------------------------------------
// run --wait: moto leaves every deployment IN_PROGRESS and has no service-deployment APIs, so the lane's proxy
// stands in for ECS's side of a rollout, as ECS reports it, for the services a test gives a scenario.

type Scenario = 'completed' | 'failed' | 'superseded' | 'blue-green';

const CIRCUIT_BREAKER = 'ECS deployment circuit breaker: task failed to start.';
const SECRETS_ERROR =
  'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret from secrets manager: AccessDeniedException';

interface EcsDeploymentJson {
  id: string;
  status: string;
  createdAt?: number;
  rolloutState?: string;
  rolloutStateReason?: string;
  updatedAt?: number;
  [key: string]: unknown;
}

/**
 * The follower's DescribeServices (the scan's asks for tags; the follower's does not) answer as each
 * scenario's rollout would: completed on the second look, failed with a stopped task that could not pull its
 * secrets, replaced by a later deployment, or a BLUE_GREEN deployment whose service deployment succeeded.
 * A service with no scenario stays IN_PROGRESS.
 */
function standInRollouts(lane: Lane, scenarios: Partial<Record<Role, Scenario>>) {
  const { proxy, account } = lane;
  const looks = new Map<string, number>();
  const ours = new Map<string, EcsDeploymentJson>();
  const scenarioOf = (name: unknown) => scenarios[account.roleOf(String(name)) ?? (String(name) as Role)];
  const serviceDeployment = (name: string) => {
    const deployment = ours.get(name);
    return {
      serviceDeploymentArn: `arn:aws:ecs:${account.region}:${account.id}:service-deployment/${name}/${name}/sd-1`,
      status: 'SUCCESSFUL',
      createdAt: deployment?.createdAt,
      finishedAt: (deployment?.createdAt ?? 0) + 1,
    };
  };
  proxy.rewriteWhen(
    (call) => call.action === 'DescribeServices' && call.input.include === undefined,
    (answer) => {
      const services = (answer.services ?? []) as {
        serviceName: string;
        serviceArn: string;
        deployments?: EcsDeploymentJson[];
        deploymentConfiguration?: Record<string, unknown>;
      }[];
      for (const service of services) {
        const [deployment] = service.deployments ?? [];
        if (deployment === undefined) continue;
        ours.set(service.serviceName, { ...deployment });
        const look = (looks.get(service.serviceName) ?? 0) + 1;
        looks.set(service.serviceName, look);
        deployment.rolloutState = 'IN_PROGRESS';
        switch (scenarioOf(service.serviceArn)) {
          case 'completed':
            if (look >= 2)
              Object.assign(deployment, { rolloutState: 'COMPLETED', updatedAt: Date.now() / 1000 });
            break;
          case 'failed':
            Object.assign(deployment, { rolloutState: 'FAILED', rolloutStateReason: CIRCUIT_BREAKER });
            break;
          case 'superseded':
            deployment.status = 'ACTIVE';
            service.deployments = [
              {
                ...deployment,
                id: 'ecs-svc/9000000000000000009',
                status: 'PRIMARY',
                createdAt: (deployment.createdAt ?? 0) + 5,
              },
              deployment,
            ];
            break;
          case 'blue-green':
            delete deployment.rolloutState;
            service.deploymentConfiguration = { ...service.deploymentConfiguration, strategy: 'BLUE_GREEN' };
            break;
          default:
        }
      }
      return answer;
    },
  );
  const failing = (call: RecordedCall) => scenarioOf(call.input.serviceName) === 'failed';
  proxy.answerWhen(
    (call) => call.action === 'ListTasks' && call.input.desiredStatus === 'STOPPED' && failing(call),
    (call) => ({
      taskArns: [`arn:aws:ecs:${account.region}:${account.id}:task/x/${String(call.input.serviceName)}`],
    }),
  );
  proxy.answerWhen(
    (call) => call.action === 'DescribeTasks',
    (call) => ({
      tasks: ((call.input.tasks ?? []) as string[]).map((taskArn) => ({
        taskArn,
        startedBy: ours.get(taskArn.slice(taskArn.lastIndexOf('/') + 1))?.id,
        lastStatus: 'STOPPED',
        stoppedReason: SECRETS_ERROR,
        stoppedAt: Date.now() / 1000,
      })),
      failures: [],
    }),
  );
  proxy.answerWhen(
    (call) => call.action === 'ListServiceDeployments',
    (call) => ({ serviceDeployments: [serviceDeployment(String(call.input.service))] }),
  );
  proxy.answerWhen(
    (call) => call.action === 'DescribeServiceDeployments',
    (call) => ({
      serviceDeployments: ((call.input.serviceDeploymentArns ?? []) as string[]).map((arn) =>
        serviceDeployment(arn.split('/')[1] ?? ''),
      ),
      failures: [],
    }),
  );
}

const rolloutsIn = (report: Report, account: RealisticAccount) =>
  Object.fromEntries(
    report.services.flatMap((service) =>
      service.rollout === undefined
        ? []
        : [[account.roleOf(service.serviceArn) ?? service.serviceArn, service.rollout]],
    ),
  );

describe('rotation-redeploy run --wait', () => {
  it.concurrent('follows every rollout it started to its end, says how each ended, and exits 1 when one failed', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { account } = lane;
      const { path } = await eventFile(lane, 'cloudtrail-put-secret-value.json');
      const scenarios: Partial<Record<Role, Scenario>> = Object.fromEntries(
        SECRET_FOLLOWERS.map((role) => [role, 'completed' as const]),
      );
      Object.assign(scenarios, { 'partial-arn': 'failed', sidecar: 'superseded', 'json-key': 'blue-green' });
      standInRollouts(lane, scenarios);
      lane.proxy.clear();

      // Act
      const result = await cli(lane, 'run', '--event', path, '--json', '--wait', '--poll-seconds', '1');

      // Assess
      expect(result.stderr).toBe('');
      expect(result.code).toBe(1);
      const report = parseJson<Report>(result);
      expect(outcomes(report, account)).toEqual(CURRENT_MOVED);
      const rollouts = rolloutsIn(report, account);
      expect(Object.keys(rollouts).sort()).toEqual(sorted(SECRET_FOLLOWERS));
      expect(rollouts['partial-arn']).toMatchObject({
        state: 'failed',
        reason: `${CIRCUIT_BREAKER.replace(/\.$/, '')}. Stopped task: ${SECRETS_ERROR}`,
      });
      expect(rollouts.sidecar).toMatchObject({
        state: 'superseded',
        reason: 'replaced by ecs-svc/9000000000000000009',
      });
      expect(rollouts['json-key']).toMatchObject({ state: 'completed', reason: null });
      // BLUE_GREEN's outcome comes from its service deployment; only that service's are asked for.
      const serviceDeploymentReads = lane.proxy
        .callsOf('ListServiceDeployments')
        .map((call) => call.input.service);
      expect([...new Set(serviceDeploymentReads)]).toEqual(['json-key']);
      for (const role of SECRET_FOLLOWERS.filter((name) => scenarios[name] === 'completed')) {
        expect(rollouts[role], role).toMatchObject({ state: 'completed', reason: null });
        expect(rollouts[role]?.seconds, role).toBeGreaterThanOrEqual(0);
      }
      expect(report.summary).toMatchObject({
        redeployed: SECRET_FOLLOWERS.length,
        failed: 0,
        completed: SECRET_FOLLOWERS.length - 2,
        superseded: 1,
        rolloutFailed: 1,
        timedOut: 0,
      });
      const skipped = report.services.filter((service) => service.action !== 'redeployed');
      expect(skipped.filter((service) => service.rollout !== undefined)).toEqual([]);
    }));

  it.concurrent('times out rollouts still in progress at --wait-timeout, and exits 1', async ({ expect }) =>
    inLane(async (lane) => {
      // Prepare
      const { account } = lane;
      const { path } = await eventFile(lane, 'ssm-parameter-update-plain-name.json');
      standInRollouts(lane, {});

      // Act
      const result = await cli(
        lane,
        'run',
        '--event',
        path,
        '--json',
        '--wait',
        '--poll-seconds',
        '1',
        '--wait-timeout',
        '2',
      );

      // Assess
      expect(result.code).toBe(1);
      const report = parseJson<Report>(result);
      expect(rolloutsIn(report, account)).toEqual(
        Object.fromEntries(
          rolesWith(PLAIN_PARAMETER_CHANGED, 'redeployed').map((role) => [
            role,
            {
              state: 'timed-out',
              reason: 'not ended by the deadline (last seen: rolloutState IN_PROGRESS)',
              seconds: null,
            },
          ]),
        ),
      );
      expect(report.summary).toMatchObject({ failed: 0, completed: 0, timedOut: 2 });
    }));

  it.concurrent('prints each rollout in the table and a rollouts line, and exits 0 when all completed', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { path } = await eventFile(lane, 'ssm-parameter-update.json');
      const redeployed = rolesWith(PARAMETER_CHANGED, 'redeployed');
      standInRollouts(lane, Object.fromEntries(redeployed.map((role) => [role, 'completed' as const])));

      // Act
      const result = await cli(lane, 'run', '--event', path, '--wait', '--poll-seconds', '1');

      // Assess
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const rows = tableRows(result.stdout);
      for (const role of redeployed) {
        expect(rows.find((row) => row.SERVICE === role)?.ROLLOUT, role).toMatch(/^completed \(\d+ s\)$/);
      }
      expect(result.stdout).toMatch(
        `Rollouts: ${redeployed.length} completed, 0 superseded, 0 failed, 0 timed out.`,
      );
    }));

  it.concurrent('changes nothing without --wait: no rollout is read and the report has no rollout fields', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { path } = await eventFile(lane, 'ssm-parameter-update.json');
      lane.proxy.clear();

      // Act
      const result = await cli(lane, 'run', '--event', path, '--json');

      // Assess
      const report = doneReport<Report>(expect, result);
      expect(Object.keys(report.summary).sort()).toEqual(
        ['deferred', 'failed', 'matched', 'queued', 'redeployed', 'skipped', 'wouldRedeploy'].sort(),
      );
      expect(report.services.filter((service) => 'rollout' in service)).toEqual([]);
      const reads = lane.proxy.calls.filter((call) =>
        ['ListTasks', 'DescribeTasks', 'ListServiceDeployments', 'DescribeServiceDeployments'].includes(
          call.action,
        ),
      );
      expect(reads).toEqual([]);
      expect(lane.proxy.callsOf('DescribeServices').every((call) => call.input.include !== undefined)).toBe(
        true,
      );
    }));

  it.concurrent('refuses --wait on a plan, and a --poll-seconds out of range, with exit code 2', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Act
      const plan = await cli(lane, 'plan', '--event', 'x.json', '--wait');
      const poll = await cli(lane, 'run', '--event', 'x.json', '--wait', '--poll-seconds', '0');

      // Assess
      expect([plan.code, poll.code]).toEqual([2, 2]);
      expect(plan.stderr).toMatch(/--wait follows the deployments a run starts: plan starts none/);
      expect(poll.stderr).toMatch(/--poll-seconds must be a whole number from 1 to 300, got "0"/);
    }));
});

describe('rotation-redeploy plan', () => {
  it.concurrent('plans what a run would redeploy without calling UpdateService, reading each cluster, page and task definition once', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { account, proxy } = lane;
      const { path } = await eventFile(lane, 'secretsmanager-label-updated.json');
      const before = await account.deploymentIds();
      proxy.clear();

      // Act
      const result = await cli(lane, 'plan', '--event', path, '--json');

      // Assess
      const after = await account.deploymentIds();
      const report = doneReport<Report>(expect, result);
      expect(outcomes(report, account)).toEqual(planned(CURRENT_MOVED));
      expect(report.dryRun).toBe(true);
      expect(report.services.map((service) => service.deploymentId)).toEqual(report.services.map(() => null));
      expect(report.summary).toMatchObject({
        redeployed: 0,
        wouldRedeploy: rolesWith(CURRENT_MOVED, 'redeployed').length,
        failed: 0,
      });
      expect(changedRoles(before, after)).toEqual([]);
      expect(proxy.callsOf('UpdateService')).toEqual([]);
      // The least a scan of this account needs: one page of clusters, one page of services per cluster
      // (moto never pages), ceil(n / 10) DescribeServices per cluster, one read per task definition revision.
      expect(proxy.callsOf('ListClusters')).toHaveLength(1);
      const listServices = proxy.callsOf('ListServices');
      expect(sorted(listServices.map((call) => String(call.input.cluster)))).toEqual(
        sorted(CLUSTERS.map((cluster) => account.clusterArns[cluster])),
      );
      expect(listServices.map((call) => call.input.maxResults)).toEqual(listServices.map(() => 100));
      const describes = proxy.callsOf('DescribeServices');
      const listed = CLUSTERS.map((cluster) =>
        ROLES.filter((role) => account.services[role].cluster === cluster),
      );
      expect(describes).toHaveLength(listed.reduce((sum, names) => sum + Math.ceil(names.length / 10), 0));
      for (const describe of describes) {
        expect(describe.input.include).toEqual(['TAGS']);
        expect((describe.input.services as unknown[]).length).toBeLessThanOrEqual(10);
      }
      const taskDefinitionReads = proxy
        .callsOf('DescribeTaskDefinition')
        .map((call) => String(call.input.taskDefinition));
      expect(sorted(taskDefinitionReads)).toEqual(currentTaskDefinitions(account));
      // The CODE_DEPLOY user's deployment group is looked up once (the account has no CodeDeploy application).
      expect(proxy.callsOf('ListApplications')).toHaveLength(1);
      const scanActions = [
        'ListClusters',
        'ListServices',
        'DescribeServices',
        'DescribeTaskDefinition',
        'ListApplications',
      ];
      expect(proxy.calls.filter((call) => !scanActions.includes(call.action))).toEqual([]);
    }));

  it.concurrent('prints the plan as a table marked as a dry run', async ({ expect }) =>
    inLane(async (lane) => {
      // Prepare
      const { account } = lane;
      const { path } = await eventFile(lane, 'secretsmanager-label-updated.json');
      const before = await account.deploymentIds();

      // Act
      const result = await cli(lane, 'plan', '--event', path);

      // Assess
      const after = await account.deploymentIds();
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/dry run/i);
      const rows = tableRows(result.stdout);
      expect(sorted(rows.map((row) => row.SERVICE ?? ''))).toEqual(sorted(SECRET_USERS));
      expect(
        sorted(rows.filter((row) => row.ACTION === 'would-redeploy').map((row) => row.SERVICE ?? '')),
      ).toEqual(sorted(rolesWith(CURRENT_MOVED, 'redeployed')));
      expect(changedRoles(before, after)).toEqual([]);
    }));
});

describe('rotation-redeploy who-uses', () => {
  it.concurrent('lists every service whose current task definition references the secret named by its ARN, with each reference', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Prepare
      const { account } = lane;

      // Act
      const result = await cli(lane, 'who-uses', account.secret.arn, '--json');

      // Assess
      const report = doneReport<WhoUsesReport>(expect, result);
      expect(roles(report.services, account)).toEqual(sorted(SECRET_USERS));
      expect(report.unreadable).toEqual([]);
      const { arn, partialArn, initialVersionId } = account.secret;
      const use = (role: Role) =>
        report.services.filter((service) => service.serviceArn === account.services[role].arn);
      expect(use('two-containers')).toEqual([
        {
          serviceArn: account.services['two-containers'].arn,
          serviceName: 'two-containers',
          clusterArn: account.services['two-containers'].clusterArn,
          taskDefinitionArn: account.services['two-containers'].taskDefinitionArn,
          references: [
            { container: 'app', field: 'secrets', valueFrom: arn },
            { container: 'migrate', field: 'secrets', valueFrom: `${partialArn}:password::` },
          ],
        },
      ]);
      const references = (role: Role) => use(role).map((service) => service.references);
      expect(references('sidecar')).toEqual([
        [{ container: 'envoy', field: 'secrets', valueFrom: partialArn }],
      ]);
      expect(references('log-secret-options')).toEqual([
        [{ container: 'app', field: 'secretOptions', valueFrom: arn }],
      ]);
      expect(references('repository-credentials-arn')).toEqual([
        [{ container: 'app', field: 'repositoryCredentials', valueFrom: arn }],
      ]);
      expect(references('repository-credentials-name')).toEqual([
        [{ container: 'app', field: 'repositoryCredentials', valueFrom: SECRET_NAME }],
      ]);
      expect(references('pinned-version')).toEqual([
        [{ container: 'app', field: 'secrets', valueFrom: `${partialArn}:::${initialVersionId}` }],
      ]);
    }));

  it.concurrent('lists the same services in a table for the secret named by its bare name', async ({
    expect,
  }) =>
    inLane(async (lane) => {
      // Act
      const result = await cli(lane, 'who-uses', SECRET_NAME);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(sorted(tableRows(result.stdout).map((row) => row.SERVICE ?? ''))).toEqual(sorted(SECRET_USERS));
    }));

  const PARAMETER_QUERIES: [how: string, query: (account: RealisticAccount) => string, users: string[]][] = [
    ['its name', () => PARAMETER_NAME, PARAMETER_USERS],
    ['its name without the leading slash', () => 'prod/api/url', PARAMETER_USERS],
    ['its ARN', (account) => account.parameterArn, PARAMETER_USERS],
    ['an ARN in another Region', (account) => account.otherRegionParameterArn, ['other-region']],
  ];

  it.concurrent.for(PARAMETER_QUERIES)(
    'lists the services using a parameter named by %s',
    async ([, query, users], { expect }) =>
      inLane(async (lane) => {
        // Act
        const result = await cli(lane, 'who-uses', query(lane.account), '--json');

        // Assess
        const report = doneReport<WhoUsesReport>(expect, result);
        expect(roles(report.services, lane.account)).toEqual(sorted(users));
      }),
  );

  it.concurrent('refuses a query that names no secret or parameter, with exit code 2', async ({ expect }) =>
    inLane(async (lane) => {
      // Act
      const result = await cli(lane, 'who-uses', 'arn:aws:s3:::prod-config-bucket', '--json');

      // Assess
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/arn:aws:s3:::prod-config-bucket/);
    }));
});
