import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { optionsFromContext } from '../../infra/context.ts';
import { InvalidContextError } from '../../infra/errors.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:platform-alarms';

describe('CDK context', () => {
  it('defaults to a real (not dry) run over all services, no CloudTrail rule, a new topic', () => {
    expect(optionsFromContext({})).toEqual({
      dryRun: false,
      selectionMode: 'all',
      cloudTrailFallback: false,
      alarmEmail: undefined,
      alarmTopicArn: undefined,
      logRetention: undefined,
      concurrency: undefined,
      reservedConcurrency: undefined,
      updatesPerSecond: undefined,
      coalesceWindow: undefined,
      maxReceiveCount: undefined,
      maxRedeploysPerHour: undefined,
      ecsShare: undefined,
      sourceAccounts: undefined,
      redriveRoleArns: undefined,
      bundleDir: undefined,
      codeDeploy: true,
      reconcile: undefined,
      reconcileSchedule: undefined,
      reconcileReadsPerSecond: undefined,
      rolloutTimeoutMinutes: undefined,
      notifyEmail: undefined,
      notifyTopicArn: undefined,
      notifyOn: undefined,
    });
  });

  it.each([
    // -c key=value gives strings; cdk.json gives JSON types.
    [{ dryRun: 'true' }, { dryRun: true }],
    [{ dryRun: 'TRUE' }, { dryRun: true }],
    [{ dryRun: true }, { dryRun: true }],
    [{ dryRun: 'false' }, { dryRun: false }],
    [{ cloudTrailFallback: 'true' }, { cloudTrailFallback: true }],
    [{ cloudTrailFallback: false }, { cloudTrailFallback: false }],
    [{ selectionMode: 'tagged' }, { selectionMode: 'tagged' }],
    [{ selectionMode: 'all' }, { selectionMode: 'all' }],
    [{ alarmEmail: ' ops@example.com ' }, { alarmEmail: 'ops@example.com' }],
    [{ alarmTopicArn: TOPIC }, { alarmTopicArn: TOPIC }],
    [{ alarmTopicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alarms' }, {}],
    [{ logRetentionDays: '90' }, { logRetention: 90 }],
    [{ logRetentionDays: 365 }, { logRetention: 365 }],
    [{ logRetentionDays: '9999' }, { logRetention: 9999 }],
    [{ concurrency: '16' }, { concurrency: 16 }],
    [{ reservedConcurrency: 1 }, { reservedConcurrency: 1 }],
    [{ bundleDir: '/tmp/bundles' }, { bundleDir: '/tmp/bundles' }],
    [{ updatesPerSecond: '0.5' }, { updatesPerSecond: 0.5 }],
    [{ updatesPerSecond: ' 2.5 ' }, { updatesPerSecond: 2.5 }],
    [{ updatesPerSecond: 5 }, { updatesPerSecond: 5 }],
    [{ coalesceWindow: '0' }, { coalesceWindow: Duration.seconds(0) }],
    [{ coalesceWindow: 900 }, { coalesceWindow: Duration.seconds(900) }],
    [{ maxReceiveCount: '1' }, { maxReceiveCount: 1 }],
    [{ maxReceiveCount: 1000 }, { maxReceiveCount: 1000 }],
    [{ codeDeploy: 'false' }, { codeDeploy: false }],
    [{ codeDeploy: true }, { codeDeploy: true }],
    [{ maxRedeploysPerHour: '1' }, { maxRedeploysPerHour: 1 }],
    [{ maxRedeploysPerHour: 60 }, { maxRedeploysPerHour: 60 }],
    [{ ecsShare: '0.25' }, { ecsShare: 0.25 }],
    [{ ecsShare: 1 }, { ecsShare: 1 }],
    [{ sourceAccounts: '111111111111' }, { sourceAccounts: ['111111111111'] }],
    [
      { redriveRoleArns: ' arn:aws:iam::111111111111:role/ops, arn:aws:iam::111111111111:role/team/oncall ' },
      {
        redriveRoleArns: ['arn:aws:iam::111111111111:role/ops', 'arn:aws:iam::111111111111:role/team/oncall'],
      },
    ],
    [
      { redriveRoleArns: ['arn:aws-us-gov:iam::111111111111:role/ops'] },
      { redriveRoleArns: ['arn:aws-us-gov:iam::111111111111:role/ops'] },
    ],
    [
      { sourceAccounts: ' 111111111111, 222222222222,111111111111 ' },
      { sourceAccounts: ['111111111111', '222222222222'] },
    ],
    [
      { sourceAccounts: ['111111111111', '222222222222'] },
      { sourceAccounts: ['111111111111', '222222222222'] },
    ],
    [{ reconcile: 'report' }, { reconcile: 'report' }],
    [{ reconcile: 'off' }, { reconcile: 'off' }],
    [{ reconcileSchedule: 'rate(1 hour)' }, { reconcileSchedule: 'rate(1 hour)' }],
    [{ reconcileSchedule: ' rate(15 minutes) ' }, { reconcileSchedule: 'rate(15 minutes)' }],
    [{ reconcileSchedule: 'cron(0 4 ? * MON-FRI *)' }, { reconcileSchedule: 'cron(0 4 ? * MON-FRI *)' }],
    [{ reconcileReadsPerSecond: '0.5' }, { reconcileReadsPerSecond: 0.5 }],
    [{ reconcileReadsPerSecond: 20 }, { reconcileReadsPerSecond: 20 }],
    [{ rolloutTimeoutMinutes: '1' }, { rolloutTimeoutMinutes: 1 }],
    [{ rolloutTimeoutMinutes: 1440 }, { rolloutTimeoutMinutes: 1440 }],
    [{ notifyEmail: ' team@example.com ' }, { notifyEmail: 'team@example.com' }],
    [{ notifyTopicArn: TOPIC }, { notifyTopicArn: TOPIC }],
    [{ notifyOn: 'failures' }, { notifyOn: 'failures' }],
    [{ notifyOn: 'all' }, { notifyOn: 'all' }],
    // Keys of CDK itself and of other tools are none of our business.
    [{ '@aws-cdk/core:newStyleStackSynthesis': true, 'cli-telemetry': false }, {}],
  ])('reads %j', (context, expected) => {
    expect(optionsFromContext(context)).toMatchObject(expected);
  });

  it.each([
    [{ dryRun: 'yes' }, /Context dryRun must be true \| false .*; got "yes"/],
    [{ dryRun: 1 }, /Context dryRun must be/],
    [
      { codeDeploy: 'off' },
      /Context codeDeploy must be true \| false .*CodeDeploy deployment group.*; got "off"/,
    ],
    [{ cloudTrailFallback: 'on' }, /Context cloudTrailFallback must be/],
    [{ selectionMode: 'Tagged' }, /Context selectionMode must be all \| tagged .*; got "Tagged"/],
    [{ alarmEmail: 'ops' }, /Context alarmEmail must be an e-mail address/],
    [{ alarmEmail: '' }, /Context alarmEmail must be/],
    [{ alarmTopicArn: 'platform-alarms' }, /Context alarmTopicArn must be the ARN of an existing SNS topic/],
    [{ alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:q' }, /Context alarmTopicArn must be/],
    [
      { logRetentionDays: '10' },
      /Context logRetentionDays must be .*one of 1, 3, 5, 7, 14, 30, .*; got "10"/,
    ],
    [{ logRetentionDays: 'month' }, /Context logRetentionDays must be/],
    [{ concurrency: '0' }, /Context concurrency must be .*1 to 50/],
    [{ concurrency: '51' }, /Context concurrency must be/],
    [{ concurrency: '2.5' }, /Context concurrency must be/],
    [{ reservedConcurrency: '0' }, /Context reservedConcurrency must be/],
    [{ updatesPerSecond: '0' }, /Context updatesPerSecond must be .*above 0 and at most 5.*; got "0"/],
    [{ updatesPerSecond: '5.5' }, /Context updatesPerSecond must be/],
    [{ updatesPerSecond: -1 }, /Context updatesPerSecond must be/],
    [{ updatesPerSecond: '1e0' }, /Context updatesPerSecond must be/],
    [{ updatesPerSecond: 'fast' }, /Context updatesPerSecond must be/],
    [{ coalesceWindow: '901' }, /Context coalesceWindow must be .*0 to 900.*; got "901"/],
    [{ coalesceWindow: '1.5' }, /Context coalesceWindow must be/],
    [{ coalesceWindow: '1m' }, /Context coalesceWindow must be/],
    [{ maxReceiveCount: '0' }, /Context maxReceiveCount must be .*1 to 1000.*; got "0"/],
    [{ maxReceiveCount: 1001 }, /Context maxReceiveCount must be/],
    [{ maxReceiveCount: 'five' }, /Context maxReceiveCount must be/],
    [{ reconcile: 'on' }, /Context reconcile must be fix \| report \| off .*; got "on"/],
    [{ reconcile: true }, /Context reconcile must be/],
    [
      { reconcileSchedule: 'every 6 hours' },
      /Context reconcileSchedule must be rate\(N minutes\|hours\|days\).*got "every 6 hours"/,
    ],
    [
      { reconcileSchedule: 'rate(5 minutes)' },
      /Context reconcileSchedule must be a rate from 15 minutes .* to 3 days.*got "rate\(5 minutes\)"/,
    ],
    [{ reconcileSchedule: 'rate(4 days)' }, /Context reconcileSchedule must be a rate from 15 minutes/],
    [
      { reconcileSchedule: 'rate(1 hours)' },
      /Context reconcileSchedule must be written as EventBridge writes it, rate\(1 hour\)/,
    ],
    [{ reconcileSchedule: 'rate(2 hour)' }, /rate\(2 hours\), got "rate\(2 hour\)"/],
    [{ reconcileSchedule: 'rate(0 hours)' }, /a rate of a positive number/],
    [{ reconcileSchedule: 'cron(0 4 * * *)' }, /a cron expression of 6 fields .*got 5/],
    [
      { reconcileSchedule: 'cron(0 4 * * MON *)' },
      /a cron expression with \? in day-of-month or day-of-week/,
    ],
    [{ reconcileSchedule: 6 }, /Context reconcileSchedule must be rate\(N minutes.*; got 6/],
    [
      { reconcileReadsPerSecond: '0' },
      /Context reconcileReadsPerSecond must be .*above 0 and at most 20.*; got "0"/,
    ],
    [{ reconcileReadsPerSecond: '21' }, /Context reconcileReadsPerSecond must be/],
    [{ reconcile_schedule: 'rate(1 hour)' }, /did you mean reconcileSchedule\?/],
    [
      { maxRedeploysPerHour: '0' },
      /Context maxRedeploysPerHour must be .*a whole number from 1 to 60.*; got "0"/,
    ],
    [{ maxRedeploysPerHour: '6.5' }, /Context maxRedeploysPerHour must be/],
    [{ ecsShare: '0' }, /Context ecsShare must be .*a number above 0 and at most 1.*; got "0"/],
    [{ ecsShare: '50%' }, /Context ecsShare must be/],
    [{ ecsShare: 2 }, /Context ecsShare must be/],
    [
      { sourceAccounts: '1234567890' },
      /Context sourceAccounts must be comma-separated 12-digit AWS account ids .*; got "1234567890"/,
    ],
    [{ sourceAccounts: '111111111111;222222222222' }, /Context sourceAccounts must be/],
    [
      { redriveRoleArns: 'arn:aws:iam::111111111111:user/alice' },
      /Context redriveRoleArns must be comma-separated IAM role ARNs .* \("arn:aws:iam::111111111111:user\/alice" is not one\)/,
    ],
    [{ redriveRoleArns: '*' }, /Context redriveRoleArns must be/],
    [{ redriveRoleArns: 'arn:aws:iam::111111111111:role/ops,' }, /Context redriveRoleArns must be/],
    [{ sourceAccounts: '111111111111,' }, /Context sourceAccounts must be/],
    [{ sourceAccounts: '' }, /Context sourceAccounts must be/],
    [{ sourceAccounts: [] }, /Context sourceAccounts must be/],
    [{ source_accounts: '111111111111' }, /did you mean sourceAccounts\?/],
    [
      { alarmEmail: 'ops@example.com', alarmTopicArn: TOPIC },
      /either alarmEmail .* or alarmTopicArn .*not both/,
    ],
    [
      { rolloutTimeoutMinutes: '0' },
      /Context rolloutTimeoutMinutes must be minutes after which .*1 to 1440 \(default 60\); got "0"/,
    ],
    [{ rolloutTimeoutMinutes: 1441 }, /Context rolloutTimeoutMinutes must be/],
    [{ rolloutTimeoutMinutes: '1h' }, /Context rolloutTimeoutMinutes must be/],
    [{ notifyEmail: 'team' }, /Context notifyEmail must be an e-mail address/],
    [{ notifyTopicArn: 'reports' }, /Context notifyTopicArn must be the ARN of an existing SNS topic/],
    [{ notifyOn: 'failed' }, /Context notifyOn must be failures \| all \(default failures\).*; got "failed"/],
    [{ notifyOn: true }, /Context notifyOn must be/],
    [
      { notifyEmail: 'team@example.com', notifyTopicArn: TOPIC },
      /either notifyEmail .* or notifyTopicArn .*not both/,
    ],
    [{ notify_on: 'all' }, /Unknown context key notify_on: did you mean notifyOn\?/],
    [{ rollouttimeoutminutes: '5' }, /did you mean rolloutTimeoutMinutes\?/],
    // A misspelt key would otherwise be ignored silently, and a dry run would redeploy for real.
    [{ dryrun: 'true' }, /Unknown context key dryrun: did you mean dryRun\?/],
    [{ 'selection-mode': 'tagged' }, /Unknown context key selection-mode: did you mean selectionMode\?/],
    [{ LOG_RETENTION_DAYS: '7' }, /did you mean logRetentionDays\?/],
    [
      { 'updates-per-second': '1' },
      /Unknown context key updates-per-second: did you mean updatesPerSecond\?/,
    ],
    [{ coalescewindow: '30' }, /did you mean coalesceWindow\?/],
    [{ max_receive_count: 3 }, /did you mean maxReceiveCount\?/],
  ])('refuses %j', (context, message) => {
    expect(() => optionsFromContext(context)).toThrow(InvalidContextError);
    expect(() => optionsFromContext(context)).toThrow(message);
  });
});
