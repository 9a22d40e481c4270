/**
 * A burst of changes through the CLI, end to end on the emulator: `run --event A --event B` in a child
 * process scans once for both changes and calls UpdateService once per service, a service reading both
 * changed items included. A recording proxy in front of the emulator counts the calls.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../functions/core/report.ts';
import { FIXTURE_SECRET_ARN, FIXTURE_VERSIONS, fixtureText, substituted } from '../support/change-events.ts';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rotation-redeploy.mjs');
const CLUSTER = 'burst';
const PARAMETER = '/prod/api/url';

/** Service → what its one container reads. */
const SERVICES = {
  'db-only': (secret: string) => [secret],
  'url-only': () => [PARAMETER],
  both: (secret: string) => [secret, PARAMETER],
  'pinned-db': (secret: string, initial: string) => [`${secret}:::${initial}`, PARAMETER],
  bystander: () => ['/prod/other'],
} as const;
type Name = keyof typeof SERVICES;

let moto: MotoServer;
let proxy: RecordingProxy;
let seed: Seeder;
let workDir: string;
let secretArn: string;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.endpoint);
  seed = seeder(moto.endpoint);
  workDir = await mkdtemp(join(tmpdir(), 'rotation-redeploy-burst-'));
  const secret = await seed.createSecret('prod/db-password', 'first');
  secretArn = secret.arn;
  await seed.putParameter(PARAMETER, 'https://one.example');
  await seed.putParameter('/prod/other', 'x');
  await seed.createCluster(CLUSTER);
  for (const [name, reads] of Object.entries(SERVICES)) {
    const taskDefinition = await seed.registerTaskDefinition({
      family: name,
      containers: [
        {
          name: 'app',
          secrets: reads(secret.arn, secret.versionId).map((valueFrom, index) => ({
            name: `V${index}`,
            valueFrom,
          })),
        },
      ],
    });
    await seed.createService({ cluster: CLUSTER, name, taskDefinition, desiredCount: 1 });
  }
}, 120_000);

afterAll(async () => {
  seed?.destroy();
  await proxy?.stop();
  await moto?.stop();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')),
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        timeout: 45_000,
        env: {
          ...inherited,
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_REGION: MOTO_REGION,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
        },
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error);
        else resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
  });
}

/** Rotates the secret and updates the parameter for real, and writes the two events announcing them. */
async function changeBoth(): Promise<{ secretEvent: string; parameterEvent: string }> {
  const put = await seed.clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: secretArn, SecretString: `value-${Date.now()}` }),
  );
  await seed.putParameter(PARAMETER, `https://${Date.now()}.example`);
  const secretEvent = join(workDir, `secret-${Date.now()}.json`);
  const parameterEvent = join(workDir, `parameter-${Date.now()}.json`);
  await writeFile(
    secretEvent,
    substituted(fixtureText('secretsmanager-label-updated.json'), {
      [FIXTURE_SECRET_ARN]: secretArn,
      [FIXTURE_VERSIONS.rotatedTo]: put.VersionId ?? 'no-version',
    }),
  );
  await writeFile(parameterEvent, fixtureText('ssm-parameter-update.json'));
  return { secretEvent, parameterEvent };
}

async function deploymentIds(): Promise<Record<Name, string>> {
  const names = Object.keys(SERVICES) as Name[];
  const ids = await Promise.all(names.map((name) => seed.deploymentIdOf(CLUSTER, name)));
  return Object.fromEntries(names.map((name, index) => [name, ids[index]])) as Record<Name, string>;
}

/** The services UpdateService was called for, by name (it is called with each service's ARN). */
const updatedServices = () =>
  proxy
    .callsOf('UpdateService')
    .map((call) => String(call.input.service).slice(String(call.input.service).lastIndexOf('/') + 1))
    .sort();

describe('rotation-redeploy run with several --event', () => {
  it('scans once for both changes and calls UpdateService exactly once per service, one report a line in order', async () => {
    // Prepare
    const { secretEvent, parameterEvent } = await changeBoth();
    const before = await deploymentIds();
    proxy.clear();

    // Act
    const result = await cli('run', '--event', secretEvent, '--event', parameterEvent, '--json');

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [secret, parameter] = lines.map((line) => JSON.parse(line) as Report);
    expect([secret?.change.kind, parameter?.change.kind]).toEqual(['secretsmanager', 'ssm']);
    expect(proxy.callsOf('ListClusters')).toHaveLength(1);
    expect(proxy.callsOf('DescribeTaskDefinition')).toHaveLength(Object.keys(SERVICES).length);
    expect(updatedServices()).toEqual(['both', 'db-only', 'pinned-db', 'url-only']);
    const after = await deploymentIds();
    expect((Object.keys(SERVICES) as Name[]).filter((name) => before[name] !== after[name]).sort()).toEqual([
      'both',
      'db-only',
      'pinned-db',
      'url-only',
    ]);
    const outcome = (report: Report | undefined, name: Name) =>
      report?.services.find((service) => service.serviceName === name);
    expect(outcome(secret, 'both')).toMatchObject({ action: 'redeployed', deploymentId: after.both });
    expect(outcome(parameter, 'both')).toMatchObject({
      action: 'redeployed',
      deploymentId: after.both,
      rodeOn: secret?.changeKey,
    });
    expect(outcome(secret, 'pinned-db')).toMatchObject({ action: 'skipped', reason: 'pinned-version' });
    expect(outcome(parameter, 'pinned-db')).toMatchObject({
      action: 'redeployed',
      deploymentId: after['pinned-db'],
    });
    expect(secret?.summary).toMatchObject({ redeployed: 2, skipped: 1 });
    expect(parameter?.summary).toMatchObject({ redeployed: 2, rodeOn: 1 });
  }, 60_000);

  it('plans both changes with one scan and no UpdateService, a table per change', async () => {
    // Prepare
    const { secretEvent, parameterEvent } = await changeBoth();
    proxy.clear();

    // Act
    const result = await cli(
      'plan',
      '--event',
      parameterEvent,
      '--event',
      secretEvent,
      '--event',
      parameterEvent,
    );

    // Assess
    expect(result.code).toBe(0);
    expect(proxy.callsOf('ListClusters')).toHaveLength(1);
    expect(proxy.callsOf('UpdateService')).toEqual([]);
    const changes = result.stdout.split('\n').filter((line) => line.startsWith('Change: '));
    expect(changes.map((line) => line.split(' ')[1])).toEqual(['ssm', 'secretsmanager', 'ssm']);
    expect(result.stdout.match(/^SERVICE +CLUSTER/gm)).toHaveLength(2);
    expect(result.stdout).toContain('Ignored: already-handled.');
    expect(result.stdout).toContain(
      "Summary: 3 services use it: 1 would redeploy, 1 would ride on another change's deployment, 1 skipped, 0 failed.",
    );
  }, 60_000);
});
