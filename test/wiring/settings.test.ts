import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors.ts';
import {
  reconcileSettingsFromEnv,
  settingsFromEnv,
  settleSettingsFromEnv,
  workerSettingsFromEnv,
} from '../../functions/wiring/settings.ts';

describe('settingsFromEnv', () => {
  it('defaults to a direct, real run over every cluster with 8 in flight and 2 updates a second', () => {
    expect(settingsFromEnv({})).toEqual({
      dryRun: false,
      selection: 'all',
      concurrency: 8,
      updatesPerSecond: 2,
      tableName: null,
      queueUrl: null,
      coalesceSeconds: 60,
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 300,
      codeDeploy: true,
      ecsShare: 0.5,
      maxRedeploysPerHour: 6,
      settleQueueUrl: null,
      rolloutTimeoutMinutes: 60,
      notifyTopicArn: null,
      notifyOn: 'failures',
      changesQueueUrl: null,
    });
  });

  it('reads every setting', () => {
    expect(
      settingsFromEnv({
        DRY_RUN: 'true',
        SELECTION_MODE: 'tagged',
        CONCURRENCY: '16',
        UPDATES_PER_SECOND: '0.5',
        TABLE_NAME: 'state',
        QUEUE_URL: 'https://sqs/q',
        COALESCE_SECONDS: '0',
        MAX_RECEIVE_COUNT: '3',
        VISIBILITY_TIMEOUT_SECONDS: '900',
        CODE_DEPLOY: 'false',
        ECS_SHARE: '0.083333',
        MAX_REDEPLOYS_PER_HOUR: '2',
        SETTLE_QUEUE_URL: 'https://sqs/settle',
        ROLLOUT_TIMEOUT_MINUTES: '1440',
        NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports',
        NOTIFY_ON: 'all',
        CHANGES_QUEUE_URL: ' https://sqs/changes ',
      }),
    ).toEqual({
      dryRun: true,
      selection: 'tagged',
      concurrency: 16,
      updatesPerSecond: 0.5,
      tableName: 'state',
      queueUrl: 'https://sqs/q',
      coalesceSeconds: 0,
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 900,
      codeDeploy: false,
      ecsShare: 0.083333,
      maxRedeploysPerHour: 2,
      settleQueueUrl: 'https://sqs/settle',
      rolloutTimeoutMinutes: 1440,
      notifyTopicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
      notifyOn: 'all',
      changesQueueUrl: 'https://sqs/changes',
    });
  });

  it.each([
    [{ DRY_RUN: 'maybe' }, 'DRY_RUN must be true or false, got "maybe"'],
    [{ CODE_DEPLOY: 'sometimes' }, 'CODE_DEPLOY must be true or false, got "sometimes"'],
    [{ SELECTION_MODE: 'ALL' }, 'SELECTION_MODE must be "all" or "tagged", got "ALL"'],
    [{ CONCURRENCY: '100' }, 'CONCURRENCY must be a whole number from 1 to 50, got "100"'],
    [{ UPDATES_PER_SECOND: '6' }, 'UPDATES_PER_SECOND must be a number above 0 and at most 5, got "6"'],
    [{ UPDATES_PER_SECOND: 'fast' }, 'UPDATES_PER_SECOND must be a number above 0 and at most 5'],
    [{ COALESCE_SECONDS: '901' }, 'COALESCE_SECONDS must be a whole number from 0 to 900, got "901"'],
    [{ MAX_RECEIVE_COUNT: '0' }, 'MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, got "0"'],
    [
      { VISIBILITY_TIMEOUT_SECONDS: '1e3' },
      'VISIBILITY_TIMEOUT_SECONDS must be a whole number from 1 to 43200, got "1e3"',
    ],
    [{ QUEUE_URL: 'https://sqs/q' }, 'QUEUE_URL needs TABLE_NAME'],
    [{ ECS_SHARE: '0' }, 'ECS_SHARE must be a number above 0 and at most 1, got "0"'],
    [{ ECS_SHARE: '1e-7' }, 'ECS_SHARE must be a number above 0 and at most 1, got "1e-7"'],
    [{ MAX_REDEPLOYS_PER_HOUR: '0' }, 'MAX_REDEPLOYS_PER_HOUR must be a whole number from 1 to 60, got "0"'],
    [
      { ROLLOUT_TIMEOUT_MINUTES: '0' },
      'ROLLOUT_TIMEOUT_MINUTES must be a whole number from 1 to 1440, got "0"',
    ],
    [{ NOTIFY_ON: 'failed' }, 'NOTIFY_ON must be "failures" or "all", got "failed"'],
  ])('fails fast on %o, naming the variable', (env, message) => {
    expect(() => settingsFromEnv(env)).toThrow(ConfigurationError);
    expect(() => settingsFromEnv(env)).toThrow(message);
  });
});

describe('workerSettingsFromEnv', () => {
  it('reads the same settings as the change functions, with the queue and the table', () => {
    const settings = workerSettingsFromEnv({
      QUEUE_URL: 'https://sqs/q',
      TABLE_NAME: 'state',
      MAX_RECEIVE_COUNT: '7',
      UPDATES_PER_SECOND: '1',
    });

    expect(settings).toMatchObject({
      queueUrl: 'https://sqs/q',
      tableName: 'state',
      maxReceiveCount: 7,
      visibilityTimeoutSeconds: 300,
      updatesPerSecond: 1,
    });
  });

  it.each([
    [{ TABLE_NAME: 'state' }, 'QUEUE_URL must be set for the redeploy worker'],
    [{ QUEUE_URL: ' ', TABLE_NAME: 'state' }, 'QUEUE_URL must be set for the redeploy worker'],
    [
      { QUEUE_URL: 'https://sqs/q', TABLE_NAME: 'state', MAX_RECEIVE_COUNT: 'x' },
      'MAX_RECEIVE_COUNT must be',
    ],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => workerSettingsFromEnv(env)).toThrow(ConfigurationError);
    expect(() => workerSettingsFromEnv(env)).toThrow(message);
  });
});

describe('reconcileSettingsFromEnv', () => {
  const QUEUED = { QUEUE_URL: 'https://sqs/q', TABLE_NAME: 'state' };

  it('defaults to fix, reading 5 a second', () => {
    expect(reconcileSettingsFromEnv(QUEUED)).toMatchObject({
      mode: 'fix',
      readsPerSecond: 5,
      ...{ queueUrl: 'https://sqs/q' },
    });
  });

  it.each([
    [
      { ...QUEUED, RECONCILE_MODE: 'report', READS_PER_SECOND: '0.5' },
      { mode: 'report', readsPerSecond: 0.5 },
    ],
    [
      { RECONCILE_MODE: 'report', TABLE_NAME: 'state' },
      { mode: 'report', queueUrl: null },
    ],
    [{ RECONCILE_MODE: 'report' }, { mode: 'report', tableName: null }],
    [
      { ...QUEUED, READS_PER_SECOND: '20' },
      { mode: 'fix', readsPerSecond: 20 },
    ],
    // A dry-run stack redeploys nothing, whatever the reconcile's mode says.
    [
      { RECONCILE_MODE: 'fix', DRY_RUN: 'true' },
      { mode: 'report', dryRun: true },
    ],
  ])('reads %o', (env, expected) => {
    expect(reconcileSettingsFromEnv(env)).toMatchObject(expected);
  });

  it.each([
    [{ ...QUEUED, RECONCILE_MODE: 'off' }, 'RECONCILE_MODE must be "fix" or "report", got "off"'],
    [{ ...QUEUED, RECONCILE_MODE: 'FIX' }, 'RECONCILE_MODE must be "fix" or "report", got "FIX"'],
    [
      { ...QUEUED, READS_PER_SECOND: '0' },
      'READS_PER_SECOND must be a number above 0 and at most 20, got "0"',
    ],
    [
      { ...QUEUED, READS_PER_SECOND: '21' },
      'READS_PER_SECOND must be a number above 0 and at most 20, got "21"',
    ],
    [{ TABLE_NAME: 'state' }, 'RECONCILE_MODE "fix" needs QUEUE_URL and TABLE_NAME'],
    [{}, 'RECONCILE_MODE "fix" needs QUEUE_URL and TABLE_NAME'],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => reconcileSettingsFromEnv(env)).toThrow(ConfigurationError);
    expect(() => reconcileSettingsFromEnv(env)).toThrow(message);
  });
});

describe('settleSettingsFromEnv', () => {
  it('reads the settle queue, the table, the deadline and what to publish where', () => {
    const settings = settleSettingsFromEnv({
      SETTLE_QUEUE_URL: 'https://sqs/settle',
      TABLE_NAME: 'state',
      ROLLOUT_TIMEOUT_MINUTES: '30',
      NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports',
    });

    expect(settings).toMatchObject({
      settleQueueUrl: 'https://sqs/settle',
      tableName: 'state',
      rolloutTimeoutMinutes: 30,
      notifyTopicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
      notifyOn: 'failures',
    });
  });

  it.each([
    [{ TABLE_NAME: 'state' }, 'SETTLE_QUEUE_URL must be set for the settle function'],
    [{ SETTLE_QUEUE_URL: 'https://sqs/settle' }, 'TABLE_NAME must be set for the settle function'],
    [
      { SETTLE_QUEUE_URL: 'https://sqs/settle', TABLE_NAME: 'state', NOTIFY_ON: 'ALL' },
      'NOTIFY_ON must be "failures" or "all", got "ALL"',
    ],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => settleSettingsFromEnv(env)).toThrow(ConfigurationError);
    expect(() => settleSettingsFromEnv(env)).toThrow(message);
  });
});
