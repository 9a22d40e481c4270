import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

const functionArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

describe('event rules', () => {
  it('sends every Secrets Manager label move to the secret-changed function, whatever the label', () => {
    // Prepare
    const synthesized = synthesize(bundleDir);
    const { template, stack } = synthesized;

    // Act
    const rule = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { 'detail-type': ['Secret Label Updated'] } },
    });

    // Assess
    expect(Object.values(rule)).toHaveLength(1);
    const properties = Object.values(rule)[0]?.Properties;
    // Exactly source, detail-type and this account: a filter on detail.labelUpdated would drop custom labels.
    expect(properties.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['Secret Label Updated'],
      account: [{ Ref: 'AWS::AccountId' }],
    });
    expect(properties.State).toBe('ENABLED');
    expect(properties.EventBusName).toBeUndefined();
    expect(properties.Targets).toEqual([
      expect.objectContaining({ Arn: functionArn(logicalIdOf(stack.redeploy.secretChanged.function)) }),
    ]);
  });

  it('sends only Create and Update parameter changes to the parameter-changed function', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir);

    // Act
    const rule = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { 'detail-type': ['Parameter Store Change'] } },
    });

    // Assess
    expect(Object.values(rule)).toHaveLength(1);
    const properties = Object.values(rule)[0]?.Properties;
    expect(properties.EventPattern).toEqual({
      source: ['aws.ssm'],
      'detail-type': ['Parameter Store Change'],
      account: [{ Ref: 'AWS::AccountId' }],
      detail: { operation: ['Create', 'Update'] },
    });
    expect(properties.Targets).toEqual([
      expect.objectContaining({ Arn: functionArn(logicalIdOf(stack.redeploy.parameterChanged.function)) }),
    ]);
  });

  it('puts this account’s ECS deployments started, completed or failed on the settle queue, whoever started them', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir);

    // Act
    const rule = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { 'detail-type': ['ECS Deployment State Change'] } },
    });

    // Assess: no filter on the deployment: the function keeps only the tool's own, after one read.
    expect(Object.values(rule)).toHaveLength(1);
    const properties = Object.values(rule)[0]?.Properties;
    expect(properties.EventPattern).toEqual({
      account: [{ Ref: 'AWS::AccountId' }],
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      detail: {
        eventName: [
          'SERVICE_DEPLOYMENT_IN_PROGRESS',
          'SERVICE_DEPLOYMENT_COMPLETED',
          'SERVICE_DEPLOYMENT_FAILED',
        ],
      },
    });
    expect(properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] } }),
    ]);
  });

  it('has no CloudTrail rule unless the fallback is enabled', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir);

    // Act
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: Match.anyValue() },
    });

    // Assess: the change rules and the ECS deployments rule (the reconcile's rule has a schedule, no pattern).
    expect(Object.keys(rules)).toHaveLength(3);
    expect(JSON.stringify(rules)).not.toContain('CloudTrail');
    expect(stack.redeploy.cloudTrailSecretRule).toBeUndefined();
  });

  it('matches both CloudTrail detail-types with the fallback on, and never filters on responseElements', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir, { cloudTrailFallback: true });

    // Act
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { detail: { eventSource: ['secretsmanager.amazonaws.com'] } } },
    });

    // Assess
    // The change rules, the ECS deployments rule and the reconcile's schedule.
    expect(Object.keys(template.findResources('AWS::Events::Rule'))).toHaveLength(5);
    expect(Object.values(rules)).toHaveLength(1);
    const properties = Object.values(rules)[0]?.Properties;
    // RotationSucceeded arrives as a service event whose responseElements is null: a filter there never matches.
    expect(properties.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
      account: [{ Ref: 'AWS::AccountId' }],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage', 'RotationSucceeded'],
      },
    });
    expect(properties.Targets).toEqual([
      expect.objectContaining({ Arn: functionArn(logicalIdOf(stack.redeploy.secretChanged.function)) }),
    ]);
  });

  it.each([
    ['without', false],
    ['with', true],
  ])(
    'gives every rule target (%s the CloudTrail fallback) a retry policy and the delivery dead-letter queue',
    (_, cloudTrailFallback) => {
      // Prepare
      const { template, stack } = synthesize(bundleDir, { cloudTrailFallback });
      const dlqArn = { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.deliveryDeadLetterQueue), 'Arn'] };

      // Act
      const rules = Object.values(template.findResources('AWS::Events::Rule'));

      // Assess: the change rules, the ECS deployments rule and the reconcile's schedule.
      expect(rules).toHaveLength(cloudTrailFallback ? 5 : 4);
      for (const rule of rules) {
        expect(rule.Properties.Targets).toEqual([
          expect.objectContaining({
            DeadLetterConfig: { Arn: dlqArn },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          }),
        ]);
      }
    },
  );

  it('lets each rule, and only that rule, invoke its function', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir, { cloudTrailFallback: true });
    const rules = [
      [stack.redeploy.secretLabelUpdatedRule, stack.redeploy.secretChanged],
      [stack.redeploy.parameterChangedRule, stack.redeploy.parameterChanged],
      [stack.redeploy.cloudTrailSecretRule, stack.redeploy.secretChanged],
      [stack.redeploy.reconcileScheduleRule, stack.redeploy.reconcile],
    ] as const;

    // Act & Assess: the ECS deployments rule targets the settle queue, and invokes no function.
    template.resourceCountIs('AWS::Lambda::Permission', 4);
    for (const [rule, fn] of rules) {
      if (rule === undefined || fn === undefined)
        throw new Error('the CloudTrail and reconcile rules should exist');
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: functionArn(logicalIdOf(fn.function)),
        SourceArn: functionArn(logicalIdOf(rule)),
      });
    }
  });
});
