import {
  BatchGetDeploymentGroupsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  DeploymentLimitExceededException,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListApplicationsCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { CodeDeployGroups, isUnimplemented } from '../../functions/aws/codedeploy-groups.ts';
import { CodeDeployRedeployer } from '../../functions/aws/codedeploy-redeployer.ts';
import { CodeDeployRollouts } from '../../functions/aws/codedeploy-rollouts.ts';
import { AppSpecError, DeploymentGroupBusyError } from '../../functions/core/errors.ts';
import { verdictOf } from '../../functions/core/rollout.ts';

const codedeploy = mockClient(CodeDeployClient);
const ecs = mockClient(ECSClient);

afterEach(() => {
  codedeploy.reset();
  ecs.reset();
});

/** An HTML 500 as an emulator answers an action it does not implement, after the SDK failed to parse it. */
const unimplemented = () =>
  Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON'), {
    $metadata: { httpStatusCode: 500 },
  });

const groupInfo = (application: string, group: string, services: [string, string][]) => ({
  applicationName: application,
  deploymentGroupName: group,
  deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
  ecsServices: services.map(([clusterName, serviceName]) => ({ clusterName, serviceName })),
});

describe('CodeDeployGroups', () => {
  it('reads the groups of every application 25 a call, following list pages', async () => {
    codedeploy
      .on(ListApplicationsCommand)
      .resolvesOnce({ applications: ['shop'], nextToken: 'more' })
      .resolvesOnce({ applications: ['ops'] });
    const names = Array.from({ length: 30 }, (_, index) => `g${index}`);
    codedeploy
      .on(ListDeploymentGroupsCommand, { applicationName: 'shop' })
      .resolves({ deploymentGroups: names });
    codedeploy.on(ListDeploymentGroupsCommand, { applicationName: 'ops' }).resolves({ deploymentGroups: [] });
    codedeploy.on(BatchGetDeploymentGroupsCommand).callsFake(({ deploymentGroupNames }) => ({
      deploymentGroupsInfo: deploymentGroupNames.map((name: string) =>
        groupInfo('shop', name, [['prod', `svc-${name}`]]),
      ),
    }));

    const groups = new CodeDeployGroups(new CodeDeployClient({}));

    expect((await groups.groupOf({ clusterName: 'prod', serviceName: 'svc-g29' }))?.deploymentGroupName).toBe(
      'g29',
    );
    expect(
      codedeploy
        .commandCalls(BatchGetDeploymentGroupsCommand)
        .map((call) => call.args[0].input.deploymentGroupNames?.length),
    ).toEqual([25, 5]);
    expect(codedeploy).toHaveReceivedCommandTimes(ListApplicationsCommand, 2);
    expect(codedeploy).not.toHaveReceivedCommand(GetDeploymentGroupCommand);
  });

  it('falls back on GetDeploymentGroup when BatchGetDeploymentGroups is not implemented, and remembers it', async () => {
    codedeploy.on(ListApplicationsCommand).resolves({ applications: ['shop'] });
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: ['a', 'b'] });
    codedeploy.on(BatchGetDeploymentGroupsCommand).rejects(unimplemented());
    codedeploy.on(GetDeploymentGroupCommand).callsFake(({ deploymentGroupName }) => ({
      deploymentGroupInfo: groupInfo('shop', deploymentGroupName, [['prod', deploymentGroupName]]),
    }));
    let now = 0;
    const groups = new CodeDeployGroups(new CodeDeployClient({}), { now: () => now });

    expect((await groups.groupOf({ clusterName: 'prod', serviceName: 'b' }))?.deploymentGroupName).toBe('b');
    now = 3_600_000;
    expect(await groups.groupOf({ clusterName: 'prod', serviceName: 'a' })).not.toBeNull();
    expect(groups.builds).toBe(2);
    expect(codedeploy).toHaveReceivedCommandTimes(BatchGetDeploymentGroupsCommand, 1);
    expect(codedeploy).toHaveReceivedCommandTimes(GetDeploymentGroupCommand, 4);
  });

  it('lets any other error of BatchGetDeploymentGroups through, and tries again on the next lookup', async () => {
    codedeploy.on(ListApplicationsCommand).resolves({ applications: ['shop'] });
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: ['a'] });
    codedeploy
      .on(BatchGetDeploymentGroupsCommand)
      .rejectsOnce(
        Object.assign(new Error('not allowed'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves({ deploymentGroupsInfo: [groupInfo('shop', 'a', [['prod', 'a']])] });
    const groups = new CodeDeployGroups(new CodeDeployClient({}));

    await expect(groups.groupOf({ clusterName: 'prod', serviceName: 'a' })).rejects.toThrow('not allowed');
    expect((await groups.groupOf({ clusterName: 'prod', serviceName: 'a' }))?.deploymentGroupName).toBe('a');
    expect(codedeploy).not.toHaveReceivedCommand(GetDeploymentGroupCommand);
  });

  it('builds the map once for lookups that arrive together, and keeps it across warm invocations', async () => {
    codedeploy.on(ListApplicationsCommand).resolves({ applications: ['shop'] });
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: ['a'] });
    codedeploy.on(BatchGetDeploymentGroupsCommand).resolves({
      deploymentGroupsInfo: [
        groupInfo('shop', 'a', [
          ['prod', 'a'],
          ['prod', 'b'],
        ]),
      ],
    });
    let now = 0;
    const groups = new CodeDeployGroups(new CodeDeployClient({}), { now: () => now });
    await Promise.all(
      ['a', 'b', 'a'].map((serviceName) => groups.groupOf({ clusterName: 'prod', serviceName })),
    );
    now = 300_000;
    await groups.groupOf({ clusterName: 'prod', serviceName: 'b' });
    expect(groups.builds).toBe(1);
    now = 700_000;
    await groups.groupOf({ clusterName: 'prod', serviceName: 'b' });
    expect(groups.builds).toBe(2);
  });

  it.each([
    [unimplemented(), true],
    [Object.assign(new Error('x'), { name: 'UnknownOperationException' }), true],
    [
      Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      false,
    ],
    [Object.assign(new Error('x'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }), false],
  ])('tells an unimplemented action from a real failure (%s)', (error, expected) => {
    expect(isUnimplemented(error)).toBe(expected);
  });
});

describe('CodeDeployRedeployer', () => {
  const SERVICE = {
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/checkout',
    serviceName: 'checkout',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
  };
  const GROUP = {
    applicationName: 'storefront',
    deploymentGroupName: 'checkout-bg',
    deploymentConfigName: null,
  };
  const TASK = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:9';
  const described = {
    serviceArn: SERVICE.serviceArn,
    status: 'ACTIVE',
    taskDefinition: TASK,
    deploymentController: { type: 'CODE_DEPLOY' as const },
    loadBalancers: [{ containerName: 'web', containerPort: 8080 }],
  };
  const retry = { sleep: async () => {}, random: () => 0.5, nonce: () => 'n-1' };
  const redeployer = () => new CodeDeployRedeployer(new ECSClient({}), new CodeDeployClient({}), retry);

  it('deploys the task definition DescribeServices names now', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [described] });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });

    expect(await redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).toEqual({
      deploymentId: 'd-NEW',
      taskDefinitionArn: TASK,
    });
    const input = codedeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ applicationName: 'storefront', deploymentGroupName: 'checkout-bg' });
    expect(
      JSON.parse(input?.revision?.appSpecContent?.content ?? '{}').Resources[0].TargetService.Properties
        .TaskDefinition,
    ).toBe(TASK);
  });

  it('answers busy, naming the active deployment, without calling CreateDeployment', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [described] });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-PIPELINE'] });

    const attempt = redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP });
    await expect(attempt).rejects.toThrow(DeploymentGroupBusyError);
    await expect(attempt).rejects.toThrow('d-PIPELINE');
    expect(codedeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('answers busy when CreateDeployment says the group already has an active deployment', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [described] });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).rejects(
      new DeploymentLimitExceededException({
        message: "The Deployment Group 'checkout-bg' already has an active Deployment 'd-OTHER'",
        $metadata: {},
      }),
    );
    await expect(redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).rejects.toThrow(
      DeploymentGroupBusyError,
    );
    expect(codedeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 1);
  });

  it('does not deploy twice when a CreateDeployment that failed with a 5xx had landed', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [described] });
    codedeploy
      .on(ListDeploymentsCommand)
      .resolvesOnce({ deployments: [] })
      .resolves({ deployments: ['d-OURS'] });
    codedeploy.on(CreateDeploymentCommand).rejects(
      Object.assign(new Error('internal'), {
        name: 'InternalFailure',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        deploymentId: 'd-OURS',
        description: 'rotation-redeploy: new tasks of checkout read the changed secrets and parameters (n-1)',
      },
    });

    expect(await redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).toEqual({
      deploymentId: 'd-OURS',
      taskDefinitionArn: TASK,
    });
    expect(codedeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 1);
  });

  it("retries after a 5xx that did not land, and never takes another caller's deployment for its own", async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [described] });
    codedeploy
      .on(ListDeploymentsCommand)
      .resolvesOnce({ deployments: [] })
      .resolvesOnce({ deployments: ['d-PIPELINE'] });
    codedeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { deploymentId: 'd-PIPELINE', description: 'from CI' } });
    codedeploy
      .on(CreateDeploymentCommand)
      .rejectsOnce(
        Object.assign(new Error('internal'), {
          name: 'InternalFailure',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        }),
      )
      .rejects(
        new DeploymentLimitExceededException({ message: 'active Deployment d-PIPELINE', $metadata: {} }),
      );

    await expect(redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).rejects.toThrow(
      DeploymentGroupBusyError,
    );
    expect(codedeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 2);
  });

  it('retries throttling and gives up on a definite refusal', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [described] });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy
      .on(CreateDeploymentCommand)
      .rejectsOnce(
        Object.assign(new Error('slow down'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves({ deploymentId: 'd-2' });
    expect((await redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).deploymentId).toBe('d-2');

    codedeploy.reset();
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).rejects(
      Object.assign(new Error('no such group'), {
        name: 'DeploymentGroupDoesNotExistException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).rejects.toThrow(
      'no such group',
    );
    expect(codedeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 1);
  });

  it('refuses a service without a load balancer container and port, and a service no longer active, before CodeDeploy', async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [{ ...described, loadBalancers: [] }] });
    await expect(redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).rejects.toThrow(AppSpecError);
    ecs.on(DescribeServicesCommand).resolves({ services: [{ ...described, status: 'DRAINING' }] });
    await expect(redeployer().redeploy({ ...SERVICE, codeDeployGroup: GROUP })).rejects.toThrow(
      'is DRAINING',
    );
    expect(codedeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
    expect(codedeploy).not.toHaveReceivedCommand(ListDeploymentsCommand);
  });
});

describe('CodeDeployRollouts', () => {
  const started = {
    service: {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      serviceName: 'web',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    },
    deploymentId: 'd-1',
    via: 'codedeploy' as const,
    startedAt: 0,
  };

  it("reads a deployment's state from GetDeployment", async () => {
    codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Failed',
        errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'tasks unhealthy' },
        completeTime: new Date(5_000),
      },
    });
    const observation = await new CodeDeployRollouts(new CodeDeployClient({})).observe(started);
    expect(verdictOf(started, observation)).toEqual({
      state: 'failed',
      reason: 'CodeDeploy deployment failed: HEALTH_CONSTRAINTS: tasks unhealthy',
      endedAt: 5_000,
    });
    expect(codedeploy).toHaveReceivedCommandWith(GetDeploymentCommand, { deploymentId: 'd-1' });
  });

  it('says so when GetDeployment answers nothing', async () => {
    codedeploy.on(GetDeploymentCommand).resolves({});
    await expect(new CodeDeployRollouts(new CodeDeployClient({})).observe(started)).rejects.toThrow(
      'GetDeployment answered nothing for d-1',
    );
  });
});
