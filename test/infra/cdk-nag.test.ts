import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createStubBundleDir, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

/** Every acknowledgment in the tree: `relative/path: RuleId`, with its reason. */
function acknowledgments(root: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(
          `${construct.node.path.replace(`${root.node.path}/`, '')}: ${id.replace(/^annotation::/i, '')}`,
          reason,
        );
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions checks', () => {
  it.each([
    ['the defaults', {}],
    [
      'the CloudTrail fallback, tracing and an alarm e-mail',
      { cloudTrailFallback: true, tracing: true, alarmEmail: 'ops@example.com' },
    ],
    ['an existing alarm topic', { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:platform-alarms' }],
    [
      'a notification e-mail, every report notified',
      { notifyEmail: 'ops@example.com', notifyOn: 'all' as const },
    ],
    [
      'an existing notification topic',
      { notifyTopicArn: 'arn:aws:sns:eu-west-1:123456789012:rotation-reports', rolloutTimeoutMinutes: 1440 },
    ],
    [
      'the queue settings at their limits',
      {
        updatesPerSecond: 5,
        coalesceWindow: Duration.seconds(0),
        maxReceiveCount: 1,
        changeBatchingWindow: Duration.seconds(300),
        changeBatchSize: 10_000,
      },
    ],
  ])('find nothing unacknowledged, error or warning, with %s', (_, props) => {
    // Prepare
    const { app } = synthesize(bundleDir, props);

    // Act
    const result = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);

    // Assess
    expect(result.violations).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('acknowledges only these findings, each with a reason a reviewer can check', () => {
    // Prepare
    const { stack } = synthesize(bundleDir, { tracing: true });

    // Act
    const acknowledged = acknowledgments(stack);

    // Assess
    expect([...acknowledged.keys()].sort()).toEqual(
      [
        'RotationRedeploy/DeliveryDeadLetterQueue: AwsSolutions-SQS3',
        'RotationRedeploy/FailedInvocationQueue: AwsSolutions-SQS3',
        'RotationRedeploy/Monitoring/AlarmTopic: AwsSolutions-SNS2',
        ...['SecretChanged', 'ParameterChanged'].flatMap((fn) => [
          `RotationRedeploy/${fn}/PlanPolicy: AwsSolutions-IAM5[Resource::*]`,
          `RotationRedeploy/${fn}/PlanPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*]`,
        ]),
        'RotationRedeploy/ChangeScanner/PlanPolicy: AwsSolutions-IAM5[Resource::*]',
        'RotationRedeploy/ChangeScanner/PlanPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]',
        // Finding a CODE_DEPLOY service's deployment group.
        'RotationRedeploy/ChangeScanner/PlanPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:application:*]',
        'RotationRedeploy/ChangeScanner/PlanPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:*/*]',
        'RotationRedeploy/RedeployWorker/RedeployPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]',
        'RotationRedeploy/RedeployWorker/RedeployPolicy: AwsSolutions-IAM5[Resource::*]',
        // Deploying a CODE_DEPLOY service through its group.
        'RotationRedeploy/RedeployWorker/RedeployPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:application:*]',
        'RotationRedeploy/RedeployWorker/RedeployPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:*/*]',
        'RotationRedeploy/RedeployWorker/RedeployPolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentconfig:*]',
        'RotationRedeploy/Reconcile/ReconcilePolicy: AwsSolutions-IAM5[Resource::*]',
        'RotationRedeploy/Reconcile/ReconcilePolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]',
        'RotationRedeploy/Reconcile/ReconcilePolicy: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*]',
        ...[
          '*',
          'arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:*/*',
          'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service-deployment/*/*/*',
          'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*',
          'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/*/*',
        ].map(
          (resource) =>
            `RotationRedeploy/SettleRollouts/SettlePolicy: AwsSolutions-IAM5[Resource::${resource}]`,
        ),
        // Tracing only: X-Ray's two actions take no resource.
        ...[
          'SecretChanged',
          'ParameterChanged',
          'ChangeScanner',
          'RedeployWorker',
          'Reconcile',
          'SettleRollouts',
        ].map((fn) => `RotationRedeploy/${fn}/Role: AwsSolutions-IAM5[Resource::*]`),
      ].sort(),
    );
    for (const reason of acknowledged.values()) expect(reason.length).toBeGreaterThan(60);
  });

  it('stops synthesis on a finding nobody acknowledged', () => {
    // Prepare
    const { app, stack } = buildApp(bundleDir);
    new sqs.Queue(stack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act & Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2[\s\S]*TestStack\/UnencryptedQueue/);
  });

  it('lets synthesis through when every finding is acknowledged', () => {
    // Prepare
    const { app } = buildApp(bundleDir, { cloudTrailFallback: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act & Assess
    expect(() => app.synth()).not.toThrow();
  });
});
