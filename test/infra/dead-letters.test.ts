import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

describe('dead-letter queues', () => {
  it('encrypts every queue with SQS managed keys, and keeps dead letters the 14 days SQS allows', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const deadLetterQueues = [
      stack.redeploy.deliveryDeadLetterQueue,
      stack.redeploy.failedInvocationQueue,
      stack.redeploy.redeployDeadLetterQueue,
      stack.redeploy.settleDeadLetterQueue,
      stack.redeploy.changeBufferDeadLetterQueue,
    ].map(logicalIdOf);

    // Act
    const queues = template.findResources('AWS::SQS::Queue');

    // Assess
    expect(Object.keys(queues).sort()).toEqual(
      [
        ...deadLetterQueues,
        logicalIdOf(stack.redeploy.redeployQueue),
        logicalIdOf(stack.redeploy.settleQueue),
        logicalIdOf(stack.redeploy.changeBuffer),
      ].sort(),
    );
    for (const queue of Object.values(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      // Not a customer managed or AWS managed KMS key: EventBridge cannot send to a queue under alias/aws/sqs.
      expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
      expect(queue.Properties.QueueName).toBeUndefined();
    }
    for (const id of deadLetterQueues) expect(queues[id]?.Properties.MessageRetentionPeriod).toBe(1_209_600);
  });

  it.each([
    'deliveryDeadLetterQueue',
    'failedInvocationQueue',
    'redeployQueue',
    'redeployDeadLetterQueue',
    'settleQueue',
    'settleDeadLetterQueue',
    'changeBuffer',
    'changeBufferDeadLetterQueue',
  ] as const)('refuses any request to the %s that does not use TLS', (key) => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const queue = logicalIdOf(stack.redeploy[key]);

    // Act & Assess
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ]),
      },
    });
  });

  it('lets EventBridge send to the delivery dead-letter queue on behalf of each rule, and nothing else', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { cloudTrailFallback: true });
    const queue = logicalIdOf(stack.redeploy.deliveryDeadLetterQueue);
    const rules = [
      stack.redeploy.reconcileScheduleRule,
      stack.redeploy.secretLabelUpdatedRule,
      stack.redeploy.parameterChangedRule,
      stack.redeploy.cloudTrailSecretRule,
      stack.redeploy.deploymentStateRule,
    ];

    // Act
    const policy = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: queue }] } }),
    )[0];
    const allows = policy?.Properties.PolicyDocument.Statement.filter(
      (statement: { Effect: string }) => statement.Effect === 'Allow',
    );

    // Assess
    expect(allows).toEqual(
      rules.map((rule) => {
        if (rule === undefined) throw new Error('every rule should exist');
        return expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf(rule), 'Arn'] } } },
        });
      }),
    );
  });
});
