/** What a function's ECS clients pace to, from the environment the stack sets. */
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/aws/clients.ts';
import { clientOptionsOf } from '../../functions/wiring/adapters.ts';
import {
  reconcileSettingsFromEnv,
  settingsFromEnv,
  workerSettingsFromEnv,
} from '../../functions/wiring/settings.ts';

describe('clientOptionsOf', () => {
  it("paces a change function's ECS reads to the share the stack gave it", () => {
    const settings = settingsFromEnv({ ECS_SHARE: '0.083333' });

    const { ecsLimits } = createAwsClients(clientOptionsOf(settings));

    // The account's 100 at once and 20 a second, times a twelfth: half the account over six processes.
    expect(ecsLimits.DescribeServices).toEqual({ burst: 8, perSecond: 20 * 0.083333 });
    expect(ecsLimits.ListClusters).toEqual({ burst: 4, perSecond: 20 * 0.083333 });
  });

  it("paces the worker's UpdateService to its own rate and its reads to its share", () => {
    const settings = workerSettingsFromEnv({
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/redeploy',
      TABLE_NAME: 'state',
      UPDATES_PER_SECOND: '1',
      ECS_SHARE: '0.1',
    });

    const { ecsLimits } = createAwsClients(clientOptionsOf(settings));

    expect(ecsLimits.UpdateService).toEqual({ burst: 1, perSecond: 1 });
    expect(ecsLimits.DescribeServices).toEqual({ burst: 10, perSecond: 2 });
  });

  it.each([
    // Its part of the stack's share is the lower: 20 a second times the ECS_SHARE given.
    ['5', { burst: 1, perSecond: 20 * 0.055555 }],
    // READS_PER_SECOND is the lower.
    ['0.5', { burst: 1, perSecond: 0.5 }],
  ])("paces the reconcile's reads to the lower of its share and READS_PER_SECOND %s", (reads, expected) => {
    const settings = reconcileSettingsFromEnv({
      RECONCILE_MODE: 'report',
      ECS_SHARE: '0.055555',
      READS_PER_SECOND: reads,
    });

    const { ecsLimits } = createAwsClients(clientOptionsOf(settings));

    expect(ecsLimits.DescribeServices).toEqual(expected);
    expect(ecsLimits.DescribeTaskDefinition).toEqual(expected);
  });

  it('gives a process with no ECS_SHARE the default share of the tool, half of each bucket', () => {
    const { ecsLimits } = createAwsClients(clientOptionsOf(settingsFromEnv({})));

    expect(ecsLimits.DescribeServices).toEqual({ burst: 50, perSecond: 10 });
  });
});
