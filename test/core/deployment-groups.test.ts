import { describe, expect, it } from 'vitest';
import { indexByService, serviceKey } from '../../functions/core/deployment-groups.ts';

describe('indexByService', () => {
  it('maps each service a group lists, by cluster and service name, to that group', () => {
    const index = indexByService([
      {
        applicationName: 'shop',
        deploymentGroupName: 'checkout',
        deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
        ecsServices: [{ serviceName: 'checkout', clusterName: 'prod' }],
      },
      { applicationName: 'shop', deploymentGroupName: 'empty', ecsServices: [] },
    ]);
    expect([...index.entries()]).toEqual([
      [
        'prod/checkout',
        {
          applicationName: 'shop',
          deploymentGroupName: 'checkout',
          deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
        },
      ],
    ]);
  });

  it('tells services of the same name in two clusters apart', () => {
    const index = indexByService([
      {
        applicationName: 'a',
        deploymentGroupName: 'g1',
        ecsServices: [{ serviceName: 'api', clusterName: 'blue' }],
      },
      {
        applicationName: 'a',
        deploymentGroupName: 'g2',
        ecsServices: [{ serviceName: 'api', clusterName: 'green' }],
      },
    ]);
    expect(index.get(serviceKey('blue', 'api'))?.deploymentGroupName).toBe('g1');
    expect(index.get(serviceKey('green', 'api'))?.deploymentGroupName).toBe('g2');
    expect(index.get(serviceKey('red', 'api'))).toBeUndefined();
  });

  it('picks the same group whatever the listing order when two groups list one service', () => {
    const first = {
      applicationName: 'a',
      deploymentGroupName: 'first',
      ecsServices: [{ serviceName: 's', clusterName: 'c' }],
    };
    const second = { ...first, deploymentGroupName: 'second' };
    expect(indexByService([second, first]).get('c/s')?.deploymentGroupName).toBe('first');
    expect(indexByService([first, second]).get('c/s')?.deploymentGroupName).toBe('first');
  });

  it('skips groups and services with missing names', () => {
    expect(
      indexByService([
        { deploymentGroupName: 'orphan', ecsServices: [{ serviceName: 's', clusterName: 'c' }] },
        { applicationName: 'a', deploymentGroupName: 'g', ecsServices: [{ serviceName: 's' }] },
      ]).size,
    ).toBe(0);
  });
});
