/**
 * `rotation-redeploy audit` end to end on the emulator, as a person runs it (a child process configured by
 * the SDK's standard environment): values change with no event sent, the audit finds exactly the services
 * still on the old value, `--fix` redeploys exactly those, and a second audit finds none left to redeploy.
 *
 * How the emulator's gap is closed: moto answers ListSecretVersionIds with `CreatedDate` = now for every
 * version, where AWS answers each version's own creation time (and with the name where AWS gives the ARN).
 * Every secret is created and changed through `startSecretVersionDates`, a stand-in in front of moto that
 * notes when each version was made and answers ListSecretVersionIds as AWS would. Services are created after
 * the values they read, so only the changes made below can leave them behind.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit-report.ts';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto.ts';
import {
  changedRoles,
  PARAMETER_NAME,
  type RealisticAccount,
  type Role,
  SECRET_FOLLOWERS,
  seedRealisticAccount,
} from '../support/realistic-account.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type SecretVersionDates, startSecretVersionDates } from '../support/secret-version-dates.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rotation-redeploy.mjs');

let moto: MotoServer;
let dates: SecretVersionDates;
let proxy: RecordingProxy;
let seed: Seeder;
let workDir: string;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(...args: string[]): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')),
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        env: {
          ...inherited,
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_REGION: MOTO_REGION,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
        },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
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

function reportOf(result: CliResult): AuditReport {
  try {
    return JSON.parse(result.stdout) as AuditReport;
  } catch (error) {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`, {
      cause: error,
    });
  }
}

/** role → action (`skipped:reason`, `failed`) of every service an audit lists. */
function listed(report: AuditReport, account: RealisticAccount): Record<string, string> {
  return Object.fromEntries(
    report.services.map((service) => [
      account.roleOf(service.serviceArn) ?? service.serviceArn,
      service.action === 'skipped' ? `skipped:${service.reason}` : service.action,
    ]),
  );
}

/**
 * Listed whatever changed: references the emulated account cannot date. A secret and a parameter in another
 * Region and another account, and parameters that do not exist: the audit says it cannot tell (exit 1).
 */
const UNDATABLE: Record<string, string> = {
  'environment-only': 'failed',
  'old-revision': 'failed',
  'other-account': 'failed',
  'other-region': 'failed',
};
/** Read the secret's AWSCURRENT or AWSPREVIOUS value, the changed parameter, or BLUE. */
const BEHIND: Role[] = [
  ...SECRET_FOLLOWERS,
  'parameter-by-path',
  'parameter-by-name',
  'parameter-by-arn',
  'pinned-blue',
];
/** Behind too, but left alone by the skip rules (CODE_DEPLOY and EXTERNAL ones show no deployment in moto). */
const SKIPPED = { 'opted-out': 'skipped:opted-out', 'scaled-to-zero': 'skipped:scaled-to-zero' };

describe('rotation-redeploy audit on the emulator', () => {
  let account: RealisticAccount;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rotation-redeploy-audit-'));
    moto = await startMoto();
    dates = await startSecretVersionDates(moto.endpoint);
    proxy = await startRecordingProxy(dates.endpoint);
    seed = seeder(dates.endpoint);
    account = await seedRealisticAccount(seed);
  });
  afterAll(async () => {
    seed?.destroy();
    await proxy?.stop();
    await dates?.stop();
    await moto?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('finds no service behind before anything changed, only what it cannot date', async () => {
    const result = await cli('audit', '--json');

    expect(listed(reportOf(result), account)).toEqual(UNDATABLE);
    expect(result.code).toBe(1);
  });

  it('finds exactly the services whose values changed with no event sent, reading metadata only', async () => {
    const before = await account.deploymentIds();
    await seed.clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: account.secret.arn, SecretString: '{"password":"second"}' }),
    );
    await seed.clients.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: account.secret.arn,
        SecretString: '{"password":"green"}',
        VersionStages: ['BLUE'],
      }),
    );
    await seed.putParameter(PARAMETER_NAME, 'https://api.example.com/v2');
    proxy.clear();

    const report = reportOf(await cli('audit', '--json'));

    expect(listed(report, account)).toEqual({
      ...Object.fromEntries(BEHIND.map((role) => [role, 'would-redeploy'])),
      ...SKIPPED,
      ...UNDATABLE,
    });
    expect(report.summary).toMatchObject({ wouldRedeploy: BEHIND.length, stale: BEHIND.length, skipped: 2 });
    expect(changedRoles(before, await account.deploymentIds())).toEqual([]);
    const asked = new Set(proxy.calls.map((call) => call.action));
    expect(asked.has('UpdateService')).toBe(false);
    expect([...asked].filter((action) => /Secret|Parameter/.test(action)).sort()).toEqual([
      'DescribeParameters',
      'ListSecretVersionIds',
    ]);
  });

  it('says what each service is behind on and since when', async () => {
    const report = reportOf(await cli('audit', '--json'));
    const blue = report.services.find((service) => account.roleOf(service.serviceArn) === 'pinned-blue');
    const both = report.services.find((service) => account.roleOf(service.serviceArn) === 'opted-out');

    expect(blue?.stale).toEqual([
      {
        arn: account.secret.arn,
        name: 'prod/db-password',
        kind: 'secretsmanager',
        label: 'BLUE',
        changedAt: expect.any(String),
        deployedAt: expect.any(String),
      },
    ]);
    expect(both?.stale.map((value) => [value.name, value.label])).toEqual([
      ['prod/db-password', 'AWSCURRENT'],
      [PARAMETER_NAME, null],
    ]);
    for (const value of blue?.stale ?? []) {
      expect(Date.parse(value.changedAt)).toBeGreaterThan(Date.parse(value.deployedAt ?? ''));
    }
  });

  it('redeploys exactly those with --fix, once each, and a second audit finds none left', async () => {
    const before = await account.deploymentIds();
    proxy.clear();

    const fixed = await cli('audit', '--fix', '--json');
    const after = await account.deploymentIds();
    const again = await cli('audit');

    expect(listed(reportOf(fixed), account)).toEqual({
      ...Object.fromEntries(BEHIND.map((role) => [role, 'redeployed'])),
      ...SKIPPED,
      ...UNDATABLE,
    });
    expect(changedRoles(before, after).sort()).toEqual([...BEHIND].sort());
    expect(proxy.callsOf('UpdateService')).toHaveLength(BEHIND.length);
    expect(again.stdout).toContain(
      `Summary: 6 services listed: 0 would redeploy, 2 skipped, ${Object.keys(UNDATABLE).length} failed.`,
    );
    expect(again.code).toBe(1);
  });

  it('refuses input it cannot use with exit 2', async () => {
    const result = await cli('audit', '--fix=yes');

    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('--fix takes no value');
  });
});

describe('rotation-redeploy audit exit codes, on an account it can date entirely', () => {
  let secretArn: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rotation-redeploy-audit-'));
    moto = await startMoto();
    dates = await startSecretVersionDates(moto.endpoint);
    proxy = await startRecordingProxy(dates.endpoint);
    seed = seeder(dates.endpoint);
    ({ arn: secretArn } = await seed.createSecret('prod/token', 'one'));
    await seed.putParameter('/prod/endpoint', 'https://a.example.com');
    await seed.createCluster('apps');
    const token = await seed.registerTaskDefinition({
      family: 'token',
      containers: [{ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: secretArn }] }],
    });
    const endpoint = await seed.registerTaskDefinition({
      family: 'endpoint',
      containers: [{ name: 'app', secrets: [{ name: 'URL', valueFrom: '/prod/endpoint' }] }],
    });
    await seed.createService({ cluster: 'apps', name: 'token-user', taskDefinition: token, desiredCount: 1 });
    await seed.createService({
      cluster: 'apps',
      name: 'endpoint-user',
      taskDefinition: endpoint,
      desiredCount: 1,
    });
  });
  afterAll(async () => {
    seed?.destroy();
    await proxy?.stop();
    await dates?.stop();
    await moto?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('exits 0 with nothing stale, with stale services, after fixing them, and when none is left', async () => {
    const clean = await cli('audit');
    await seed.clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: 'two' }),
    );
    const stale = await cli('audit', '--json');
    const fixed = await cli('audit', '--fix', '--json');
    const none = await cli('audit');

    expect(clean).toMatchObject({ code: 0, stderr: '' });
    expect(clean.stdout).toContain('No service runs a value older than the current one.');
    expect(stale.code).toBe(0);
    expect(reportOf(stale).services.map((service) => [service.serviceName, service.action])).toEqual([
      ['token-user', 'would-redeploy'],
    ]);
    expect(fixed.code).toBe(0);
    expect(reportOf(fixed).services.map((service) => [service.serviceName, service.action])).toEqual([
      ['token-user', 'redeployed'],
    ]);
    expect(none).toMatchObject({ code: 0 });
    expect(none.stdout).toContain('No service runs a value older than the current one.');
    expect(none.stdout).toContain('Summary: 0 services listed: 0 would redeploy, 0 skipped, 0 failed.');
  });
});
