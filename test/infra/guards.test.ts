/**
 * What holds the stack back when a source flaps, when its functions run side by side, and when events come
 * from accounts it was not set up for: the flap guard's limit and alarms, each process's share of the
 * account's ECS buckets, and the accounts whose events count.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECS_READ_LIMITS, ECS_UPDATE_LIMIT, ecsLimits } from '../../functions/aws/ecs-pacing.ts';
import { InvalidPropsError } from '../../infra/errors.ts';
import type { RotationRedeployStackProps } from '../../infra/rotation-redeploy-stack.ts';
import { createStubBundleDir, removeDir, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});
afterAll(() => removeDir(bundleDir));

// biome-ignore lint/suspicious/noExplicitAny: a synthesized template's properties are read field by field.
type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (template: Template) =>
  Object.entries(template.toJSON().Resources as Record<string, Resource>);

/** The ECS actions any policy of a role allows. */
function ecsActionsOf(resources: [string, Resource][], roleId: string): string[] {
  return resources
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
    .filter(([, resource]) =>
      (resource.Properties.Roles ?? []).some((role: { Ref?: string }) => role.Ref === roleId),
    )
    .flatMap(([, resource]) => resource.Properties.PolicyDocument.Statement)
    .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat())
    .filter((action: string) => action.startsWith('ecs:'));
}

/** Each function that may call ECS, with its environment and how many of its processes can run at once. */
function ecsCallers(template: Template) {
  const resources = resourcesOf(template);
  const mappings = resources.filter(([, resource]) => resource.Type === 'AWS::Lambda::EventSourceMapping');
  return resources
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, resource]) => {
      const mapping = mappings.find(([, entry]) => entry.Properties.FunctionName?.Ref === id);
      return {
        id,
        ecsActions: ecsActionsOf(resources, resource.Properties.Role?.['Fn::GetAtt']?.[0] ?? ''),
        env: (resource.Properties.Environment?.Variables ?? {}) as Record<string, string>,
        concurrency: (resource.Properties.ReservedConcurrentExecutions ??
          mapping?.[1].Properties.ScalingConfig?.MaximumConcurrency) as number,
      };
    })
    .filter((fn) => fn.ecsActions.length > 0);
}

const alarmsOn = (template: Template, metricName: string) =>
  resourcesOf(template)
    .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map(([, resource]) => resource.Properties)
    .filter((alarm) => alarm.MetricName === metricName);

describe('the flap guard', () => {
  it.each([
    ['by default', {}, '6'],
    ['as set', { maxRedeploysPerHour: 2 }, '2'],
  ])('tells every function its limit of forced deployments per service an hour, %s', (_, props, limit) => {
    const { template } = synthesize(bundleDir, props);

    // The functions that queue or make redeploys. The reconcile is left out: it only queues, and the worker
    // applies the guard to what it queued; the settle function only reads what they started.
    const callers = ecsCallers(template).filter(
      (fn) => fn.env.RECONCILE_MODE === undefined && fn.env.NOTIFY_ON === undefined,
    );

    // The change scanner (which reports a held-back service as deferred) and the worker.
    expect(callers).toHaveLength(2);
    for (const fn of callers) expect(fn.env.MAX_REDEPLOYS_PER_HOUR).toBe(limit);
  });

  it.each([0, 61, 2.5])('refuses a limit of %s, naming the range', (maxRedeploysPerHour) => {
    expect(() => synthesize(bundleDir, { maxRedeploysPerHour })).toThrow(InvalidPropsError);
    expect(() => synthesize(bundleDir, { maxRedeploysPerHour })).toThrow(
      'maxRedeploysPerHour must be a whole number from 1 to 60',
    );
  });

  it('alarms when a service is held back, and charts it', () => {
    const { template } = synthesize(bundleDir);

    const alarms = alarmsOn(template, 'ServicesFlapping');
    const dashboard = JSON.stringify(
      resourcesOf(template).find(([, resource]) => resource.Type === 'AWS::CloudWatch::Dashboard')?.[1],
    );

    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: 'RotationRedeploy',
      Dimensions: [{ Name: 'service', Value: 'rotation-redeploy' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarms[0]?.AlarmDescription).toMatch(/flap/i);
    expect(alarms[0]?.AlarmActions).toHaveLength(1);
    // The dashboard body is JSON inside the template's JSON: its quotes arrive escaped.
    expect(dashboard).toContain('\\"ServicesFlapping\\"');
  });

  it("alarms on each change function's asynchronous backlog: event age and dropped events", () => {
    const { stack, template } = synthesize(bundleDir);
    const changeFunctions = stack.redeploy.changeFunctions.map((fn) => fn.function);

    const age = alarmsOn(template, 'AsyncEventAge');
    const dropped = alarmsOn(template, 'AsyncEventsDropped');

    expect(age).toHaveLength(changeFunctions.length);
    expect(dropped).toHaveLength(changeFunctions.length);
    for (const alarm of [...age, ...dropped]) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(alarm.Dimensions).toEqual([{ Name: 'FunctionName', Value: expect.anything() }]);
      expect(alarm.AlarmActions).toHaveLength(1);
    }
    expect(age.map((alarm) => [alarm.Statistic, alarm.Threshold])).toEqual([
      ['Maximum', 900_000],
      ['Maximum', 900_000],
    ]);
    expect(dropped.map((alarm) => [alarm.Statistic, alarm.Threshold])).toEqual([
      ['Sum', 1],
      ['Sum', 1],
    ]);
  });
});

describe("each process's share of the account's ECS buckets", () => {
  it.each<[string, RotationRedeployStackProps, number]>([
    ['the defaults', {}, 0.5],
    ['more runs at once and a smaller share', { reservedConcurrency: 5, ecsShare: 0.3 }, 0.3],
    ['one run each and the whole bucket', { reservedConcurrency: 1, ecsShare: 1 }, 1],
  ])('adds up to at most the stack’s share of every bucket, with %s', (_, props, stackShare) => {
    const { template } = synthesize(bundleDir, props);

    const callers = ecsCallers(template);

    // Every function that may call ECS is bounded and paces to its part.
    expect(callers.map((fn) => [fn.concurrency, fn.env.ECS_SHARE])).toEqual(
      callers.map(() => [expect.any(Number), expect.stringMatching(/^0?\.\d+$|^1$/)]),
    );
    const share = callers.reduce((sum, fn) => sum + Number(fn.env.ECS_SHARE) * fn.concurrency, 0);
    // Within a rounding error of adding up the parts as JavaScript numbers.
    expect(share).toBeLessThanOrEqual(stackShare + 1e-9);
    expect(share).toBeGreaterThan(stackShare * 0.99);
    for (const [action, bucket] of Object.entries(ECS_READ_LIMITS)) {
      const spent = (field: 'burst' | 'perSecond') =>
        callers.reduce(
          (sum, fn) => sum + (ecsLimits(1, Number(fn.env.ECS_SHARE))[action]?.[field] ?? 0) * fn.concurrency,
          0,
        );
      expect(spent('burst'), `${action} burst`).toBeLessThanOrEqual(bucket.burst * stackShare);
      expect(spent('perSecond'), `${action} refill`).toBeLessThanOrEqual(
        bucket.perSecond * stackShare + 1e-9,
      );
    }
  });

  it('gives the processes of the defaults a fourteenth of each bucket: half the account, seven processes', () => {
    const { template } = synthesize(bundleDir);

    const callers = ecsCallers(template);

    // The change scanner, the worker and the settle function, two runs each, and the reconcile's one: the
    // change functions call no ECS action.
    expect(callers.map((fn) => [fn.concurrency, fn.env.ECS_SHARE])).toEqual([
      [2, '0.071428'],
      [2, '0.071428'],
      [2, '0.071428'],
      [1, '0.071428'],
    ]);
  });

  it('keeps UpdateService within the stack’s rate: only the worker may call it, each of its runs at its part', () => {
    const { template } = synthesize(bundleDir, { updatesPerSecond: 3 });

    const callers = ecsCallers(template);
    const updating = callers.filter((fn) => fn.ecsActions.includes('ecs:UpdateService'));
    const rate = updating.reduce((sum, fn) => sum + Number(fn.env.UPDATES_PER_SECOND) * fn.concurrency, 0);

    expect(updating).toHaveLength(1);
    expect(callers.filter((fn) => fn.env.UPDATES_PER_SECOND !== undefined)).toEqual(updating);
    expect(rate).toBeLessThanOrEqual(3);
    expect(rate).toBeLessThanOrEqual(ECS_UPDATE_LIMIT.perSecond);
  });

  it.each([0, 1.5])('refuses a share of %s, naming the range', (ecsShare) => {
    expect(() => synthesize(bundleDir, { ecsShare })).toThrow(
      'ecsShare must be a number above 0 and at most 1',
    );
  });
});

describe('the accounts whose events count', () => {
  // The change rules: the reconcile's rule has a schedule, no pattern, and no account to match.
  const rulePatterns = (template: Template) =>
    resourcesOf(template)
      .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
      .flatMap(([, resource]) =>
        resource.Properties.EventPattern === undefined ? [] : [resource.Properties.EventPattern],
      );
  const describeSecretResources = (template: Template) =>
    resourcesOf(template)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
      .flatMap(([, resource]) => resource.Properties.PolicyDocument.Statement)
      .filter((statement) => [statement.Action].flat().includes('secretsmanager:DescribeSecret'))
      .map((statement) => [statement.Resource].flat());
  const secretsIn = (account: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:*:${account}:secret:*`]],
  });
  const secretsOf = (account: unknown) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:*:', account, ':secret:*']],
  });

  it("matches only this account's events by default, and describes only its secrets", () => {
    const { template } = synthesize(bundleDir, { cloudTrailFallback: true });

    const patterns = rulePatterns(template);
    const resources = describeSecretResources(template);

    // The three change rules, and the ECS deployments rule (this account's deployments only, always).
    expect(patterns).toHaveLength(4);
    for (const pattern of patterns) expect(pattern.account).toEqual([{ Ref: 'AWS::AccountId' }]);
    expect(resources).toEqual([
      [secretsOf({ Ref: 'AWS::AccountId' })],
      [secretsOf({ Ref: 'AWS::AccountId' })],
    ]);
  });

  it('matches the named accounts, and describes secrets in those accounts only', () => {
    const accounts = ['111111111111', '222222222222'];
    const { template } = synthesize(bundleDir, { cloudTrailFallback: true, sourceAccounts: accounts });

    const patterns = rulePatterns(template).filter((pattern) => pattern.source[0] !== 'aws.ecs');
    const resources = describeSecretResources(template);

    expect(patterns).toHaveLength(3);
    for (const pattern of patterns) expect(pattern.account).toEqual(accounts);
    expect(resources).toEqual([
      [secretsIn('111111111111'), secretsIn('222222222222')],
      [secretsIn('111111111111'), secretsIn('222222222222')],
    ]);
  });

  it.each([
    [[], 'sourceAccounts must name at least one account'],
    [['12345'], 'sourceAccounts must be 12-digit AWS account ids; got "12345"'],
    [['123456789012', 'abcdefghijkl'], 'sourceAccounts must be 12-digit AWS account ids; got "abcdefghijkl"'],
  ])('refuses %j, saying what an account id looks like', (sourceAccounts, message) => {
    expect(() => synthesize(bundleDir, { sourceAccounts })).toThrow(InvalidPropsError);
    expect(() => synthesize(bundleDir, { sourceAccounts })).toThrow(message);
  });
});
