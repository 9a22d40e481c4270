/**
 * The scheduled reconcile in the template: its schedule, its modes (off deploys nothing), what it may do, and
 * the alarm that fires when two runs in a row find stale services.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidPropsError } from '../../infra/errors.ts';
import type { RotationRedeployStackProps } from '../../infra/rotation-redeploy-stack.ts';
import { createStubBundleDir, logicalIdOf, type Synthesized, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

const FORBIDDEN =
  /^(secretsmanager:GetSecretValue|secretsmanager:BatchGetSecretValue|ssm:GetParameter.*|kms:Decrypt|ecs:UpdateService)$/;

function reconcileOf({ stack }: Synthesized) {
  const fn = stack.redeploy.reconcile;
  if (fn === undefined) throw new Error('the reconcile should be deployed');
  return fn;
}

/** Every statement of the reconcile's own policies (its log-group grant and its ReconcilePolicy). */
function statementsOf(
  synthesized: Synthesized,
): { Sid?: string; Action: string | string[]; Resource: unknown }[] {
  const fn = reconcileOf(synthesized);
  return Object.values(
    synthesized.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalIdOf(fn.role) }] },
    }),
  ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const actionsOf = (synthesized: Synthesized) => statementsOf(synthesized).flatMap((s) => [s.Action].flat());

function sendsToRedeployQueue(synthesized: Synthesized): boolean {
  const queue = logicalIdOf(synthesized.stack.redeploy.redeployQueue);
  return statementsOf(synthesized).some((statement) => JSON.stringify(statement.Resource).includes(queue));
}

function staleAlarms(template: Template) {
  return Object.values(
    template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ServicesStale' } }),
  );
}

describe('the scheduled reconcile', () => {
  it('runs the audit every 6 hours by default, queuing what it finds, one run at a time', () => {
    // Prepare
    const synthesized = synthesize(bundleDir);
    const { stack, template } = synthesized;
    const fn = reconcileOf(synthesized);

    // Act
    const resources = template.toJSON().Resources;
    const properties = resources[logicalIdOf(fn.function)].Properties;
    const rule = resources[logicalIdOf(stack.redeploy.reconcileScheduleRule ?? fn)].Properties;

    // Assess
    expect(rule.ScheduleExpression).toBe('rate(6 hours)');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalIdOf(fn.function), 'Arn'] },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.deliveryDeadLetterQueue), 'Arn'] },
        },
      }),
    ]);
    expect(properties.Environment.Variables).toEqual(
      expect.objectContaining({
        RECONCILE_MODE: 'fix',
        READS_PER_SECOND: '5',
        SELECTION_MODE: 'all',
        CONCURRENCY: '8',
        TABLE_NAME: { Ref: logicalIdOf(stack.redeploy.stateTable) },
        QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.redeployQueue) },
        COALESCE_SECONDS: '60',
        CODE_DEPLOY: 'false',
        // Each change it queues is followed to its end, as the change functions' are.
        SETTLE_QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.settleQueue) },
        ROLLOUT_TIMEOUT_MINUTES: expect.any(String),
      }),
    );
    expect(properties.ReservedConcurrentExecutions).toBe(1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(fn.function) },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.failedInvocationQueue), 'Arn'] },
        },
      },
    });
  });

  it('deploys no function, rule or stale alarm when off', () => {
    // Act
    const { stack, template } = synthesize(bundleDir, { reconcile: 'off' });

    // Assess
    expect(stack.redeploy.reconcile).toBeUndefined();
    expect(stack.redeploy.reconcileScheduleRule).toBeUndefined();
    expect(stack.redeploy.monitoring.servicesStaleAlarm).toBeUndefined();
    // The change functions, the change scanner, the worker and the settle function.
    template.resourceCountIs('AWS::Lambda::Function', 5);
    expect(
      Object.keys(
        template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: Match.anyValue() } }),
      ),
    ).toEqual([]);
    expect(staleAlarms(template)).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('ServicesStale');
  });

  it('takes its schedule and its share of the read buckets from its props', () => {
    // Act
    const synthesized = synthesize(bundleDir, {
      reconcileSchedule: 'cron(30 2 ? * MON-FRI *)',
      reconcileReadsPerSecond: 2,
    });

    // Assess
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 2 ? * MON-FRI *)',
    });
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECONCILE_MODE: 'fix', READS_PER_SECOND: '2' }) },
    });
  });

  it.each<[string, RotationRedeployStackProps, RegExp]>([
    [
      'a schedule EventBridge would refuse',
      { reconcileSchedule: 'every 6 hours' },
      /reconcileSchedule must be rate\(N/,
    ],
    [
      'a rate shorter than a run may last',
      { reconcileSchedule: 'rate(10 minutes)' },
      /reconcileSchedule must be a rate from 15 minutes/,
    ],
    ['a rate too long for the alarm to watch two runs', { reconcileSchedule: 'rate(7 days)' }, /to 3 days/],
    [
      'no reads',
      { reconcileReadsPerSecond: 0 },
      /reconcileReadsPerSecond must be a number above 0 and at most 20/,
    ],
    [
      'more reads than ECS refills',
      { reconcileReadsPerSecond: 25 },
      /reconcileReadsPerSecond must be .*, got 25/,
    ],
    [
      'an unknown mode',
      { reconcile: 'sometimes' as 'fix' },
      /reconcile must be "fix", "report" or "off", got "sometimes"/,
    ],
  ])('refuses %s', (_, props, message) => {
    expect(() => synthesize(bundleDir, props)).toThrow(InvalidPropsError);
    expect(() => synthesize(bundleDir, props)).toThrow(message);
  });
});

describe('what the reconcile may do', () => {
  it('reads ECS, metadata and the state table, and queues redeploys in fix mode, never a value', () => {
    // Prepare
    const synthesized = synthesize(bundleDir);
    const { stack } = synthesized;

    // Act
    const statements = statementsOf(synthesized);

    // Assess
    expect(statements.filter((statement) => statement.Sid !== undefined)).toEqual([
      expect.objectContaining({
        Sid: 'DiscoverClustersAndTaskDefinitions',
        Action: ['ecs:ListClusters', 'ecs:DescribeTaskDefinition'],
        Resource: '*',
      }),
      expect.objectContaining({ Sid: 'ListServicesOfThisAccountAndRegion', Action: 'ecs:ListServices' }),
      expect.objectContaining({
        Sid: 'DescribeServicesOfThisAccountAndRegion',
        Action: 'ecs:DescribeServices',
      }),
      expect.objectContaining({
        Sid: 'ReadWhenEachSecretVersionWasCreated',
        Action: 'secretsmanager:ListSecretVersionIds',
      }),
      expect.objectContaining({ Sid: 'ReadWhenEachParameterWasWritten', Action: 'ssm:DescribeParameters' }),
      expect.objectContaining({
        Sid: 'ReadCachedReferencesAndMovesAndRecordPendingRedeploys',
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:UpdateItem',
          'dynamodb:PutItem',
        ],
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.stateTable), 'Arn'] },
      }),
      expect.objectContaining({
        Sid: 'QueueRedeploys',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.redeployQueue), 'Arn'] },
      }),
      expect.objectContaining({
        Sid: 'WatchEachChangeUntilItSettles',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] },
      }),
    ]);
    expect(actionsOf(synthesized).filter((action) => FORBIDDEN.test(action))).toEqual([]);
  });

  it('only reads in report mode: no queue, no pending records', () => {
    // Act
    const synthesized = synthesize(bundleDir, { reconcile: 'report' });
    const fn = reconcileOf(synthesized);
    const variables =
      synthesized.template.toJSON().Resources[logicalIdOf(fn.function)].Properties.Environment.Variables;

    // Assess: the only queue it may send to is the failed-invocation queue, its on-failure destination.
    const actions = actionsOf(synthesized);
    expect(sendsToRedeployQueue(synthesized)).toBe(false);
    expect(actions).not.toContain('dynamodb:UpdateItem');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:ListSecretVersionIds', 'dynamodb:BatchGetItem']),
    );
    expect(variables).toMatchObject({ RECONCILE_MODE: 'report' });
    expect(variables.QUEUE_URL).toBeUndefined();
    expect(variables.SETTLE_QUEUE_URL).toBeUndefined();
    expect(JSON.stringify(statementsOf(synthesized))).not.toContain(
      logicalIdOf(synthesized.stack.redeploy.settleQueue),
    );
  });

  it('reconciles in report mode in a dry-run stack', () => {
    // Act
    const synthesized = synthesize(bundleDir, { dryRun: true, reconcile: 'fix' });

    // Assess
    expect(sendsToRedeployQueue(synthesized)).toBe(false);
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECONCILE_MODE: 'report' }) },
    });
  });

  it('dates the secrets of this account by default, and of the source accounts when named', () => {
    // Act
    const own = statementsOf(synthesize(bundleDir));
    const named = statementsOf(synthesize(bundleDir, { sourceAccounts: ['111111111111', '222222222222'] }));

    // Assess
    const resourceOf = (statements: ReturnType<typeof statementsOf>) =>
      statements.find((statement) => statement.Sid === 'ReadWhenEachSecretVersionWasCreated')?.Resource;
    const secretsIn = (account: unknown) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:*:', account, ':secret:*']],
    });
    expect(resourceOf(own)).toEqual(secretsIn({ Ref: 'AWS::AccountId' }));
    expect(resourceOf(named)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:*:111111111111:secret:*']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:*:222222222222:secret:*']] },
    ]);
  });

  it('finds tagged services through the tagging API only with selection mode tagged', () => {
    // Act
    const all = actionsOf(synthesize(bundleDir));
    const tagged = actionsOf(synthesize(bundleDir, { selectionMode: 'tagged' }));

    // Assess
    expect(all).not.toContain('tag:GetResources');
    expect(tagged).toContain('tag:GetResources');
  });
});

describe('the stale-services alarm', () => {
  it.each([
    ['rate(6 hours)', 21_600],
    ['rate(15 minutes)', 900],
    ['rate(3 days)', 259_200],
    // Runs not evenly spaced: judged by day.
    ['cron(0 3 * * ? *)', 86_400],
  ])('fires when every run of two periods in a row found stale services, with %s', (schedule, period) => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { reconcileSchedule: schedule });

    // Act
    const alarms = staleAlarms(template);

    // Assess
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({
      Namespace: 'RotationRedeploy',
      Dimensions: [{ Name: 'service', Value: 'rotation-redeploy' }],
      Statistic: 'Minimum',
      Period: period,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // No run reported: unknown, neither stale nor fresh.
      TreatMissingData: 'missing',
      AlarmActions: [{ Ref: logicalIdOf(stack.redeploy.monitoring.alarmTopic) }],
      OKActions: [{ Ref: logicalIdOf(stack.redeploy.monitoring.alarmTopic) }],
    });
    expect(alarms[0]?.Properties.AlarmDescription).toMatch(/reconcile reports/);
  });

  it('alarms on the reconcile’s errors and charts its stale services and reports', () => {
    // Prepare
    const synthesized = synthesize(bundleDir);
    const fn = reconcileOf(synthesized);

    // Act
    const body = JSON.stringify(
      Object.values(synthesized.template.findResources('AWS::CloudWatch::Dashboard'))[0],
    );

    // Assess
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn.function) } }],
    });
    expect(body).toContain('Reconcile: stale services found by each run');
    expect(body).toContain('reconcile report');
    synthesized.template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'TestStack/reconcile reports',
      LogGroupNames: [{ Ref: logicalIdOf(fn.logGroup) }],
    });
  });
});
