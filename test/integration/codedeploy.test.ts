/**
 * The CodeDeploy adapters against the emulator, through the real SDK: finding a service's deployment group (the
 * emulator lacks BatchGetDeploymentGroups, so this also covers the fallback) and deploying the service as it runs.
 */
import { CodeDeployClient, CreateApplicationCommand } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { followRollouts } from '../../functions/app/follow-rollouts.ts';
import { createAwsClients } from '../../functions/aws/clients.ts';
import { CodeDeployGroups } from '../../functions/aws/codedeploy-groups.ts';
import { CodeDeployRedeployer } from '../../functions/aws/codedeploy-redeployer.ts';
import { DeploymentGroupBusyError } from '../../functions/core/errors.ts';
import type { StartedDeployment } from '../../functions/core/rollout.ts';
import { rolloutReaders } from '../../functions/wiring/adapters.ts';
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

let moto: MotoServer;
let seed: Seeder;
let codedeploy: CodeDeployClient;
let ecs: ECSClient;
let taskDefinition: string;

beforeAll(async () => {
  moto = await startMoto();
  seed = seeder(moto.endpoint);
  codedeploy = new CodeDeployClient({ ...awsClientConfig(moto.endpoint), maxAttempts: 1 });
  ecs = new ECSClient(awsClientConfig(moto.endpoint));
});

afterAll(async () => {
  seed?.destroy();
  codedeploy?.destroy();
  ecs?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  await seed.createCluster('shop');
  await seed.createCluster('back');
  taskDefinition = await seed.registerTaskDefinition({ family: 'checkout', containers: [{ name: 'web' }] });
});

describe('CodeDeployGroups', () => {
  it("finds the group that lists a service by cluster and name, and none for another cluster's namesake", async () => {
    await codedeploy.send(
      new CreateApplicationCommand({ applicationName: 'legacy', computePlatform: 'Server' }),
    );
    await createDeploymentGroup(codedeploy, {
      application: 'storefront',
      group: 'checkout-bg',
      services: [{ cluster: 'shop', name: 'checkout' }],
    });
    const groups = new CodeDeployGroups(codedeploy);
    expect(await groups.groupOf({ clusterName: 'shop', serviceName: 'checkout' })).toEqual({
      applicationName: 'storefront',
      deploymentGroupName: 'checkout-bg',
      deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
    });
    expect(await groups.groupOf({ clusterName: 'back', serviceName: 'checkout' })).toBeNull();
    expect(groups.builds).toBe(1);
  });

  it('rebuilds its map for a service it misses once the map is older than a run, and finds the new group', async () => {
    let now = 0;
    const groups = new CodeDeployGroups(codedeploy, { now: () => now, missRefreshMs: 60_000 });
    expect(await groups.groupOf({ clusterName: 'shop', serviceName: 'checkout' })).toBeNull();
    await createDeploymentGroup(codedeploy, {
      application: 'storefront',
      group: 'checkout-bg',
      services: [{ cluster: 'shop', name: 'checkout' }],
    });
    now = 30_000;
    expect(await groups.groupOf({ clusterName: 'shop', serviceName: 'checkout' })).toBeNull();
    now = 61_000;
    expect(
      (await groups.groupOf({ clusterName: 'shop', serviceName: 'checkout' }))?.deploymentGroupName,
    ).toBe('checkout-bg');
    expect(groups.builds).toBe(2);
  });
});

describe('CodeDeployRedeployer', () => {
  const group = {
    applicationName: 'storefront',
    deploymentGroupName: 'checkout-bg',
    deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
  };
  const ref = (serviceArn: string) => ({
    serviceArn,
    serviceName: 'checkout',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
  });

  it('creates one deployment whose AppSpec names the current task definition and how the tasks launch', async () => {
    const serviceArn = await createCodeDeployService(ecs, {
      cluster: 'shop',
      name: 'checkout',
      taskDefinition,
      container: { name: 'web', port: 8080 },
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 4, base: 1 }],
      platformVersion: '1.4.0',
      subnets: ['subnet-0a'],
      securityGroups: ['sg-0b'],
    });
    await createDeploymentGroup(codedeploy, {
      application: 'storefront',
      group: 'checkout-bg',
      services: [{ cluster: 'shop', name: 'checkout' }],
    });
    const deployed = await new CodeDeployRedeployer(ecs, codedeploy).redeploy({
      ...ref(serviceArn),
      codeDeployGroup: group,
    });

    expect(await deploymentIdsOf(codedeploy, 'storefront', 'checkout-bg')).toEqual([deployed.deploymentId]);
    const deployment = await deploymentOf(moto.endpoint, deployed.deploymentId);
    expect(deployment.revision.revisionType).toBe('AppSpecContent');
    expect(appSpecOf(deployment).Resources[0]?.TargetService).toEqual({
      Type: 'AWS::ECS::Service',
      Properties: {
        TaskDefinition: taskDefinition,
        LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
        PlatformVersion: '1.4.0',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: ['subnet-0a'],
            SecurityGroups: ['sg-0b'],
            AssignPublicIp: 'DISABLED',
          },
        },
        CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 4, Base: 1 }],
      },
    });
    expect(deployed.taskDefinitionArn).toBe(taskDefinition);
  });

  it('answers that the group is busy, and creates nothing, while another deployment of the group is active', async () => {
    const serviceArn = await createCodeDeployService(ecs, {
      cluster: 'shop',
      name: 'checkout',
      taskDefinition,
      container: { name: 'web', port: 8080 },
    });
    await createDeploymentGroup(codedeploy, {
      application: 'storefront',
      group: 'checkout-bg',
      services: [{ cluster: 'shop', name: 'checkout' }],
    });
    const redeployer = new CodeDeployRedeployer(ecs, codedeploy);
    const first = await redeployer.redeploy({ ...ref(serviceArn), codeDeployGroup: group });
    // The emulator never moves a deployment past Created: the first one stays active.
    const second = redeployer.redeploy({ ...ref(serviceArn), codeDeployGroup: group });
    await expect(second).rejects.toThrow(DeploymentGroupBusyError);
    await expect(second).rejects.toThrow(first.deploymentId);
    expect(await deploymentIdsOf(codedeploy, 'storefront', 'checkout-bg')).toEqual([first.deploymentId]);
  });
});

describe('following CodeDeploy deployments (run --wait, the settle check)', () => {
  // The emulator keeps every deployment `Created` and answers `createTime` as an ISO string, which the SDK
  // cannot read (CodeDeploy answers epoch seconds); a proxy in front of it answers as CodeDeploy does, and moves
  // the status on for the deployments a test names.
  let proxy: RecordingProxy;

  beforeAll(async () => {
    proxy = await startRecordingProxy(moto.endpoint);
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  beforeEach(() => {
    proxy.heal();
    proxy.clear();
  });

  async function deployed(cluster: string, group: string) {
    const serviceArn = await createCodeDeployService(ecs, {
      cluster,
      name: 'checkout',
      taskDefinition,
      container: { name: 'web', port: 8080 },
    });
    await createDeploymentGroup(codedeploy, {
      application: `storefront-${cluster}`,
      group,
      services: [{ cluster, name: 'checkout' }],
    });
    const { deploymentId } = await new CodeDeployRedeployer(ecs, codedeploy).redeploy({
      serviceArn,
      serviceName: 'checkout',
      clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${cluster}`,
      codeDeployGroup: {
        applicationName: `storefront-${cluster}`,
        deploymentGroupName: group,
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
      },
    });
    const started: StartedDeployment = {
      service: {
        serviceArn,
        serviceName: 'checkout',
        clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${cluster}`,
      },
      deploymentId,
      via: 'codedeploy',
      startedAt: 0,
    };
    return started;
  }

  it('follows each through GetDeployment until it succeeded, failed, or the deadline passed', async () => {
    const succeeding = await deployed('shop', 'checkout-bg');
    const failing = await deployed('back', 'checkout-back-bg');
    const looks = new Map<string, number>();
    proxy.rewriteWhen(
      (call) => call.action === 'GetDeployment',
      (answer) => {
        const info = answer.deploymentInfo as { deploymentId: string; status: string; createTime: unknown };
        info.createTime = 1;
        const look = (looks.get(info.deploymentId) ?? 0) + 1;
        looks.set(info.deploymentId, look);
        if (info.deploymentId === succeeding.deploymentId) {
          Object.assign(
            info,
            look < 3 ? { status: 'InProgress' } : { status: 'Succeeded', completeTime: 42 },
          );
        }
        if (info.deploymentId === failing.deploymentId) {
          Object.assign(info, {
            status: 'Failed',
            completeTime: 7,
            errorInformation: { code: 'ECS_UPDATE_ERROR', message: 'replacement tasks failed to start' },
          });
        }
        return answer;
      },
    );
    // A third whose status never moves (the emulator's own answer) runs into the deadline.
    await seed.createCluster('stuck');
    const stuck = await deployed('stuck', 'checkout-stuck-bg');
    const { region, credentials } = awsClientConfig(proxy.endpoint);
    const clients = createAwsClients({ endpoint: proxy.endpoint, region, credentials });
    let clock = 0;

    const settled = await followRollouts([succeeding, failing, stuck], rolloutReaders(clients), {
      pollMs: 1_000,
      deadline: 10_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });

    expect(settled.map(({ outcome }) => outcome)).toEqual([
      { state: 'completed', reason: null, seconds: 42 },
      {
        state: 'failed',
        reason: 'CodeDeploy deployment failed: ECS_UPDATE_ERROR: replacement tasks failed to start',
        seconds: 7,
      },
      {
        state: 'timed-out',
        reason: 'not ended by the deadline (last seen: CodeDeploy deployment Created)',
        seconds: null,
      },
    ]);
    // Only CodeDeploy was asked: ECS has no deployment of a CODE_DEPLOY service to follow.
    expect(new Set(proxy.calls.map((call) => call.action))).toEqual(new Set(['GetDeployment']));
    expect(looks.get(succeeding.deploymentId)).toBe(3);
    expect(looks.get(failing.deploymentId)).toBe(1);
  });
});
