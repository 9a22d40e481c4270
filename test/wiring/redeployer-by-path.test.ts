import { describe, expect, it } from 'vitest';
import { parseRedeployMessage } from '../../functions/core/queue-message.ts';
import {
  type CodeDeployGroupLookup,
  controllerSkipOf,
  deployPathOf,
  serviceSkipReason,
} from '../../functions/core/service.ts';
import { RedeployerByPath } from '../../functions/wiring/redeployer-by-path.ts';

const GROUP = { applicationName: 'shop', deploymentGroupName: 'api-bg', deploymentConfigName: null };

describe('deployPathOf', () => {
  it.each([
    // controller, strategy, group lookup, path
    ['ECS', 'ROLLING', 'off', { via: 'ecs', strategy: 'ROLLING' }],
    ['ECS', 'BLUE_GREEN', GROUP, { via: 'ecs', strategy: 'BLUE_GREEN' }],
    ['ECS', 'LINEAR', null, { via: 'ecs', strategy: 'LINEAR' }],
    ['CODE_DEPLOY', 'ROLLING', GROUP, { via: 'codedeploy', group: GROUP }],
    ['CODE_DEPLOY', 'ROLLING', null, { via: null, controllerSkip: 'no-deployment-group' }],
    ['CODE_DEPLOY', 'ROLLING', 'off', { via: null, controllerSkip: 'codedeploy-off' }],
    ['EXTERNAL', 'ROLLING', GROUP, { via: null, controllerSkip: 'external' }],
    ['EXTERNAL', 'ROLLING', 'off', { via: null, controllerSkip: 'external' }],
  ] as const)(
    'deploys a %s service with strategy %s and group %o: %o',
    (controller, strategy, group, path) => {
      const service = { deploymentController: controller, deploymentStrategy: strategy };
      expect(deployPathOf(service, group as CodeDeployGroupLookup)).toEqual(path);
      expect(controllerSkipOf(service, group as CodeDeployGroupLookup)).toBe(
        'controllerSkip' in path ? path.controllerSkip : null,
      );
    },
  );

  it('keeps a CODE_DEPLOY service skipped for its controller when its group was not looked up', () => {
    const service = { tags: {}, deploymentController: 'CODE_DEPLOY', desiredCount: 2 };
    expect(serviceSkipReason(service)).toBe('deployment-controller');
    expect(serviceSkipReason(service, GROUP)).toBeNull();
    expect(serviceSkipReason({ ...service, desiredCount: 0 }, GROUP)).toBe('scaled-to-zero');
  });
});

describe('the queue message', () => {
  const message = {
    service: {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/api',
      serviceName: 'api',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
    },
    changeKey: 'k',
    change: {
      kind: 'secretsmanager',
      arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf',
      name: 'db',
      account: '123456789012',
      region: 'us-east-1',
      label: 'AWSCURRENT',
      versionId: 'v',
      trigger: 'Secret Label Updated',
    },
  };

  it('carries the deployment group of a CODE_DEPLOY service, and reads a message without one as an ECS one', () => {
    const withGroup = { ...message, service: { ...message.service, codeDeployGroup: GROUP } };
    expect(parseRedeployMessage(JSON.stringify(withGroup)).service.codeDeployGroup).toEqual(GROUP);
    expect(parseRedeployMessage(JSON.stringify(message)).service.codeDeployGroup).toBeUndefined();
  });

  it('refuses a deployment group without its names', () => {
    const broken = {
      ...message,
      service: { ...message.service, codeDeployGroup: { applicationName: 'shop' } },
    };
    expect(() => parseRedeployMessage(JSON.stringify(broken))).toThrow(
      'service.codeDeployGroup.deploymentGroupName',
    );
  });
});

describe('RedeployerByPath', () => {
  const SERVICE = {
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/api',
    serviceName: 'api',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
  };
  const recorder = (via: string, log: string[]) => ({
    async redeploy() {
      log.push(via);
      return { deploymentId: via };
    },
  });

  it('sends a service with a deployment group to CodeDeploy and every other to UpdateService', async () => {
    const log: string[] = [];
    const redeployer = new RedeployerByPath(recorder('ecs', log), recorder('codedeploy', log));
    await redeployer.redeploy(SERVICE);
    await redeployer.redeploy({ ...SERVICE, codeDeployGroup: GROUP });
    expect(log).toEqual(['ecs', 'codedeploy']);
  });

  it('refuses, without falling back on UpdateService, a CodeDeploy redeploy while CodeDeploy is turned off', async () => {
    const log: string[] = [];
    const redeployer = new RedeployerByPath(recorder('ecs', log), null);
    await expect(redeployer.redeploy({ ...SERVICE, codeDeployGroup: GROUP })).rejects.toThrow(
      'CodeDeploy deployments are turned off (CODE_DEPLOY=false)',
    );
    expect(log).toEqual([]);
  });
});
