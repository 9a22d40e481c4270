import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

describe('the topic settled reports are published to', () => {
  it('is encrypted with the AWS managed key for SNS, so the settle function needs no KMS permission', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const topic = template.toJSON().Resources[logicalIdOf(stack.redeploy.notifyTopic)].Properties;

    // Assess
    expect(topic.KmsMasterKeyId).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':kms:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':alias/aws/sns',
        ],
      ],
    });
    expect(topic.TopicName).toBeUndefined();
  });

  it('refuses any publish that does not use TLS', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const topic = { Ref: logicalIdOf(stack.redeploy.notifyTopic) };

    // Act & Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Resource: topic,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('subscribes the notification e-mail address to it, and to no other topic', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { notifyEmail: 'team@example.com' });

    // Act & Assess
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'team@example.com',
      TopicArn: { Ref: logicalIdOf(stack.redeploy.notifyTopic) },
    });
  });

  it('is an existing topic when one is given: nothing created, the settle function told its ARN', () => {
    // Prepare
    const existing = 'arn:aws:sns:eu-west-1:123456789012:rotation-reports';
    const { stack, template } = synthesize(bundleDir, { notifyTopicArn: existing });

    // Act
    const variables =
      template.toJSON().Resources[logicalIdOf(stack.redeploy.settleFunction.function)].Properties.Environment
        .Variables;

    // Assess: the one topic left is the alarms'.
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual([
      logicalIdOf(stack.redeploy.monitoring.alarmTopic),
    ]);
    expect(variables.NOTIFY_TOPIC_ARN).toBe(existing);
    expect(variables.NOTIFY_ON).toBe('failures');
  });
});

describe('the settle queue', () => {
  it('sends a look that failed 5 receives to its dead-letter queue, and hides a received one for 6 timeouts', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const queue = template.toJSON().Resources[logicalIdOf(stack.redeploy.settleQueue)].Properties;

    // Assess
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleDeadLetterQueue), 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(queue.VisibilityTimeout).toBe(360);
  });

  it('leaves the logical ids of what was deployed before it as they were', () => {
    // Prepare
    const { stack } = synthesize(bundleDir);

    // Act
    const ids = [
      stack.redeploy.stateTable,
      stack.redeploy.redeployQueue,
      stack.redeploy.redeployDeadLetterQueue,
      stack.redeploy.deliveryDeadLetterQueue,
      stack.redeploy.failedInvocationQueue,
      stack.redeploy.redeployWorker.function,
      stack.redeploy.monitoring.servicesFailedAlarm,
      stack.redeploy.monitoring.dashboard,
    ].map(logicalIdOf);

    // Assess: a changed id would make CloudFormation replace the resource (the retained table, queues holding
    // messages).
    expect(ids).toEqual([
      'RotationRedeployStateTableFE65D964',
      'RotationRedeployRedeployQueue20F4DD28',
      'RotationRedeployRedeployDeadLetterQueue1FFB2775',
      'RotationRedeployDeliveryDeadLetterQueueBD62D992',
      'RotationRedeployFailedInvocationQueue3EAE2A61',
      'RotationRedeployRedeployWorkerFunction96368525',
      'RotationRedeployMonitoringServicesFailed749BEE69',
      'RotationRedeployMonitoringDashboard8A8D9F06',
    ]);
  });
});

describe('the settle queue as the rule’s target', () => {
  it('lets EventBridge send to it on behalf of the deployments rule only, over TLS only', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const queue = logicalIdOf(stack.redeploy.settleQueue);

    // Act
    const policy = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: queue }] } }),
    )[0];
    const statements = policy?.Properties.PolicyDocument.Statement;

    // Assess
    expect(statements.filter((statement: { Effect: string }) => statement.Effect === 'Allow')).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: expect.arrayContaining(['sqs:SendMessage']),
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.deploymentStateRule), 'Arn'] },
          },
        },
      }),
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('is the only thing that invokes the settle function: 2 at once, batches of 10, single failures reported', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const fn = stack.redeploy.settleFunction;

    // Act
    const mappings = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: logicalIdOf(fn.function) } },
      }),
    );

    // Assess
    expect(mappings.map((mapping) => mapping.Properties)).toEqual([
      {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] },
        FunctionName: { Ref: logicalIdOf(fn.function) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      },
    ]);
    expect(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { FunctionName: { 'Fn::GetAtt': [logicalIdOf(fn.function), 'Arn'] } },
      }),
    ).toEqual({});
    expect(
      template.findResources('AWS::Lambda::EventInvokeConfig', {
        Properties: { FunctionName: { Ref: logicalIdOf(fn.function) } },
      }),
    ).toEqual({});
  });
});
