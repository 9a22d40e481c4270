/**
 * Every way a service is deployed, and every way a task names a secret, end to end through the operator CLI
 * against the emulator: ECS-controlled services (rolling, and ECS's own CANARY strategy, which the emulator
 * does not keep, so a stand-in adds it to DescribeServices), CODE_DEPLOY services with and without a deployment
 * group, an EXTERNAL service, and tasks that read the secret through Parameter Store's
 * `/aws/reference/secretsmanager/` path, by name and by SSM ARN.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ServiceOutcome } from '../../functions/core/report.ts';
import { fixtureText, substituted } from '../support/change-events.ts';
import {
  appSpecOf,
  createCodeDeployService,
  createDeploymentGroup,
  deploymentIdsOf,
  deploymentOf,
} from '../support/codedeploy-seed.ts';
import {
  awsClientConfig,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  type MotoServer,
  startMoto,
} from '../support/moto.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rotation-redeploy.mjs');
const CLUSTER = 'shop';
const SECRET = 'prod/db';
const PATH_REFERENCE = `/aws/reference/secretsmanager/${SECRET}`;
const ARN_REFERENCE = `arn:aws:ssm:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:parameter/aws/reference/secretsmanager/${SECRET}`;

let moto: MotoServer;
let proxy: RecordingProxy;
let seed: Seeder;
let codedeploy: CodeDeployClient;
let workDir: string;
let secretArn: string;
/** The task definition each service runs, by service name. */
const runs: Record<string, string> = {};

/** Builds the account once; each test starts from the same state because only `run` changes it, last. */
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.endpoint);
  seed = seeder(moto.endpoint);
  codedeploy = new CodeDeployClient(awsClientConfig(moto.endpoint));
  workDir = await mkdtemp(join(tmpdir(), 'deployment-controllers-'));
  secretArn = (await seed.createSecret(SECRET, 'first')).arn;
  await seed.createCluster(CLUSTER);
  const family = async (name: string, valueFrom: string) =>
    seed.registerTaskDefinition({
      family: name,
      containers: [{ name: 'web', secrets: [{ name: 'DB', valueFrom }] }],
    });
  const direct = await family('direct', secretArn);
  const unrelated = await family('unrelated', '/prod/feature-flags');
  const ecsService = async (name: string, taskDefinition: string, controller?: 'EXTERNAL') => {
    runs[name] = taskDefinition;
    await seed.createService({
      cluster: CLUSTER,
      name,
      taskDefinition,
      desiredCount: 2,
      ...(controller === undefined ? {} : { deploymentController: controller }),
    });
  };
  await ecsService('by-path', await family('by-path', PATH_REFERENCE));
  await ecsService('by-ssm-arn', await family('by-ssm-arn', ARN_REFERENCE));
  await ecsService('canary', direct);
  await ecsService('external', direct, 'EXTERNAL');
  const blueGreen = async (name: string, taskDefinition: string, spot: boolean) => {
    runs[name] = taskDefinition;
    await createCodeDeployService(seed.clients.ecs, {
      cluster: CLUSTER,
      name,
      taskDefinition,
      container: { name: 'web', port: 8080 },
      ...(spot ? { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] } : {}),
      platformVersion: '1.4.0',
    });
  };
  await blueGreen('checkout', direct, true);
  await blueGreen('orphan', direct, false);
  await blueGreen('catalog', unrelated, false);
  await createDeploymentGroup(codedeploy, {
    application: 'storefront',
    group: 'checkout-bg',
    services: [{ cluster: CLUSTER, name: 'checkout' }],
  });
  await createDeploymentGroup(codedeploy, {
    application: 'storefront',
    group: 'catalog-bg',
    services: [{ cluster: CLUSTER, name: 'catalog' }],
  });
  // A newer revision of the family nobody runs yet: a deployment must name the revision the service runs.
  await family('direct', secretArn);
  // The emulator does not keep deploymentConfiguration.strategy: DescribeServices answers it as ECS would.
  proxy.rewriteWhen(
    (call) => call.action === 'DescribeServices',
    (answer) => ({
      ...answer,
      services: ((answer.services ?? []) as { serviceName?: string }[]).map((service) =>
        service.serviceName === 'canary'
          ? { ...service, deploymentConfiguration: { strategy: 'CANARY' } }
          : service,
      ),
    }),
  );
}, 120_000);

afterAll(async () => {
  codedeploy?.destroy();
  seed?.destroy();
  await proxy?.stop();
  await moto?.stop();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

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
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
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

/** Rotates the secret (AWSCURRENT moves to a new version) and writes the event AWS would publish for it. */
async function rotated(): Promise<string> {
  const { VersionId } = await seed.clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: secretArn, SecretString: `value-${Date.now()}` }),
  );
  const text = substituted(fixtureText('secretsmanager-label-updated.json'), {
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf': secretArn,
    '"prod/db-password"': `"${SECRET}"`,
    'c4a9e2f1-0b7d-4c3e-8f6a-2d1e5b9c7a30': VersionId ?? 'unknown',
  });
  const path = join(workDir, `rotated-${VersionId}.json`);
  await writeFile(path, text);
  return path;
}

async function report(...args: string[]): Promise<Report> {
  const result = await cli(...args, '--json');
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Report;
}

const byName = (outcomes: readonly ServiceOutcome[]) =>
  Object.fromEntries(outcomes.map((outcome) => [outcome.serviceName, outcome]));

describe('a rotated secret, whatever deploys its users and however their tasks name it', () => {
  it('plans one action per user and starts nothing: no UpdateService, no CodeDeploy deployment in any group', async () => {
    proxy.clear();
    const plan = byName((await report('plan', '--event', await rotated())).services);

    expect(Object.keys(plan).sort()).toEqual([
      'by-path',
      'by-ssm-arn',
      'canary',
      'checkout',
      'external',
      'orphan',
    ]);
    expect(plan['by-path']).toMatchObject({ action: 'would-redeploy', via: 'ecs', strategy: 'ROLLING' });
    expect(plan['by-ssm-arn']).toMatchObject({ action: 'would-redeploy', via: 'ecs', strategy: 'ROLLING' });
    expect(plan.canary).toMatchObject({ action: 'would-redeploy', via: 'ecs', strategy: 'CANARY' });
    expect(plan.checkout).toMatchObject({
      action: 'would-redeploy',
      via: 'codedeploy',
      deploymentGroup: 'storefront/checkout-bg',
    });
    expect(plan.orphan).toMatchObject({ action: 'skipped', reason: 'deployment-controller' });
    expect(plan.orphan?.detail).toMatch(/no CodeDeploy deployment group/);
    expect(plan.external).toMatchObject({ action: 'skipped', reason: 'deployment-controller' });
    expect(plan.external?.detail).toMatch(/task sets belong to whatever manages them/);

    expect(proxy.callsOf('UpdateService')).toEqual([]);
    expect(proxy.callsOf('CreateDeployment')).toEqual([]);
    expect(await deploymentIdsOf(codedeploy, 'storefront', 'checkout-bg')).toEqual([]);
    expect(await deploymentIdsOf(codedeploy, 'storefront', 'catalog-bg')).toEqual([]);
  });

  it('never matches a /aws/reference/secretsmanager reference to a Parameter Store change', async () => {
    const path = join(workDir, 'parameter-event.json');
    await writeFile(
      path,
      substituted(fixtureText('ssm-parameter-update.json'), {
        '"/prod/api/url"': `"${PATH_REFERENCE}"`,
        'parameter/prod/api/url': `parameter${PATH_REFERENCE}`,
      }),
    );
    const plan = await report('plan', '--event', path);
    expect(plan.change.kind).toBe('ssm');
    expect(plan.services).toEqual([]);
  });

  it('redeploys each user: one CodeDeploy deployment of its current task definition for the group, UpdateService for the others', async () => {
    proxy.clear();
    const run = await report('run', '--event', await rotated());
    const outcomes = byName(run.services);

    // The CODE_DEPLOY service with a group: exactly one deployment, of the task definition it runs now, on Spot still.
    const checkoutDeployments = await deploymentIdsOf(codedeploy, 'storefront', 'checkout-bg');
    expect(checkoutDeployments).toHaveLength(1);
    expect(outcomes.checkout).toMatchObject({
      action: 'redeployed',
      via: 'codedeploy',
      deploymentId: checkoutDeployments[0],
    });
    const appSpec = appSpecOf(await deploymentOf(moto.endpoint, checkoutDeployments[0] as string));
    expect(appSpec.Resources[0]?.TargetService.Properties).toMatchObject({
      TaskDefinition: runs.checkout,
      LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
    });
    // No other group gets one.
    expect(await deploymentIdsOf(codedeploy, 'storefront', 'catalog-bg')).toEqual([]);
    expect(proxy.callsOf('CreateDeployment')).toHaveLength(1);

    // Both Parameter Store forms, and ECS's own CANARY strategy, forced with UpdateService.
    for (const name of ['by-path', 'by-ssm-arn', 'canary']) {
      expect(outcomes[name]).toMatchObject({ action: 'redeployed', via: 'ecs' });
    }
    expect(outcomes.canary?.strategy).toBe('CANARY');
    expect(
      proxy
        .callsOf('UpdateService')
        .map((call) => call.input.service)
        .sort(),
    ).toEqual(
      ['by-path', 'by-ssm-arn', 'canary'].map(
        (name) => `arn:aws:ecs:us-east-1:123456789012:service/shop/${name}`,
      ),
    );

    expect(outcomes.orphan).toMatchObject({ action: 'skipped', reason: 'deployment-controller' });
    expect(outcomes.external).toMatchObject({ action: 'skipped', reason: 'deployment-controller' });
    expect(run.summary).toMatchObject({ matched: 6, redeployed: 4, skipped: 2, failed: 0 });
  });
});
