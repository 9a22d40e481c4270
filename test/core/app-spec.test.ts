import { describe, expect, it } from 'vitest';
import { appSpecContent, appSpecFor } from '../../functions/core/app-spec.ts';
import { AppSpecError } from '../../functions/core/errors.ts';
import { PLAIN_LAUNCH, type TaskSetLaunch } from '../../functions/core/service.ts';

const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/main/api';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:42';
const BALANCED: TaskSetLaunch = {
  ...PLAIN_LAUNCH,
  loadBalancers: [{ containerName: 'web', containerPort: 8080 }],
};

const propertiesOf = (launch: TaskSetLaunch) =>
  appSpecFor({ serviceArn: SERVICE_ARN, taskDefinitionArn: TASK, launch }).Resources[0].TargetService
    .Properties;

describe('appSpecFor', () => {
  it('names the current task definition and the load balancer container and port, and nothing the service lacks', () => {
    expect(propertiesOf(BALANCED)).toEqual({
      TaskDefinition: TASK,
      LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
    });
  });

  it('carries the capacity provider strategy, so a Spot service stays on Spot', () => {
    const properties = propertiesOf({
      ...BALANCED,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE_SPOT', weight: 3, base: null },
        { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      ],
    });
    expect(properties.CapacityProviderStrategy).toEqual([
      { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
      { CapacityProvider: 'FARGATE', Weight: 1, Base: 1 },
    ]);
  });

  it('carries the platform version and the awsvpc network configuration', () => {
    const properties = propertiesOf({
      ...BALANCED,
      platformVersion: '1.4.0',
      networkConfiguration: {
        subnets: ['subnet-a', 'subnet-b'],
        securityGroups: ['sg-1'],
        assignPublicIp: 'DISABLED',
      },
    });
    expect(properties.PlatformVersion).toBe('1.4.0');
    expect(properties.NetworkConfiguration).toEqual({
      AwsvpcConfiguration: {
        Subnets: ['subnet-a', 'subnet-b'],
        SecurityGroups: ['sg-1'],
        AssignPublicIp: 'DISABLED',
      },
    });
  });

  it('routes to the first load balancer that names a container and a port', () => {
    const properties = propertiesOf({
      ...PLAIN_LAUNCH,
      loadBalancers: [
        { containerName: null, containerPort: null },
        { containerName: 'proxy', containerPort: 443 },
      ],
    });
    expect(properties.LoadBalancerInfo).toEqual({ ContainerName: 'proxy', ContainerPort: 443 });
  });

  it('refuses a service without a load balancer, naming the service', () => {
    expect(() => propertiesOf(PLAIN_LAUNCH)).toThrow(AppSpecError);
    expect(() => propertiesOf(PLAIN_LAUNCH)).toThrow(SERVICE_ARN);
  });
});

describe('appSpecContent', () => {
  it('writes JSON with the documented version 0.0 and the resources unchanged', () => {
    const appSpec = appSpecFor({ serviceArn: SERVICE_ARN, taskDefinitionArn: TASK, launch: BALANCED });
    const content = appSpecContent(appSpec);
    expect(content.startsWith('{"version":0.0,"Resources":')).toBe(true);
    expect(JSON.parse(content)).toEqual(JSON.parse(JSON.stringify(appSpec)));
  });
});
