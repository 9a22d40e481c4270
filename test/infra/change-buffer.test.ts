import { Duration } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidPropsError } from '../../infra/errors.ts';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

function scannerMapping(synthesized: ReturnType<typeof synthesize>) {
  const { stack, template } = synthesized;
  return Object.values(
    template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(stack.redeploy.changeScanner.function) } },
    }),
  );
}

describe('change buffer', () => {
  it('is where both change functions put their changes', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;

    // Act
    const urls = stack.redeploy.changeFunctions.map(
      (fn) => resources[logicalIdOf(fn.function)].Properties.Environment.Variables.CHANGES_QUEUE_URL,
    );

    // Assess
    expect(urls).toEqual(Array(2).fill({ Ref: logicalIdOf(stack.redeploy.changeBuffer) }));
  });

  it('lets no one but the change functions (and redrives) put a change in the buffer', () => {
    // Prepare
    const redrive = 'arn:aws:iam::123456789012:role/operator';
    const { stack, template } = synthesize(bundleDir, { redriveRoleArns: [redrive] });
    const queue = logicalIdOf(stack.redeploy.changeBuffer);

    // Act
    const statements = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: queue }] } }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);

    // Assess
    expect(statements).toContainEqual({
      Sid: 'OnlyTheChangeFunctionsBufferChanges',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      Condition: {
        ArnNotEquals: {
          'aws:PrincipalArn': [
            ...stack.redeploy.changeFunctions.map((fn) => ({ 'Fn::GetAtt': [logicalIdOf(fn.role), 'Arn'] })),
            redrive,
          ],
        },
        BoolIfExists: { 'aws:ViaAWSService': 'false' },
      },
    });
  });

  it('gathers changes for 10 s, up to 100 a batch, for at most 2 scanners at once, reporting single failures', () => {
    // Act
    const synthesized = synthesize(bundleDir);
    const mappings = scannerMapping(synthesized);

    // Assess
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toEqual({
      EventSourceArn: arnOf(logicalIdOf(synthesized.stack.redeploy.changeBuffer)),
      FunctionName: { Ref: logicalIdOf(synthesized.stack.redeploy.changeScanner.function) },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(mappings[0]?.DependsOn).toEqual(
      expect.arrayContaining([logicalIdOf(synthesized.stack.redeploy.changeScanner.role)]),
    );
  });

  it('takes the batching window and batch size from the props', () => {
    // Act
    const mappings = scannerMapping(
      synthesize(bundleDir, { changeBatchingWindow: Duration.minutes(5), changeBatchSize: 10_000 }),
    );

    // Assess
    expect(mappings[0]?.Properties).toMatchObject({ BatchSize: 10_000, MaximumBatchingWindowInSeconds: 300 });
  });

  it.each([
    [
      { changeBatchingWindow: Duration.seconds(0) },
      /changeBatchingWindow must be a whole number from 1 to 300 seconds/,
    ],
    [{ changeBatchingWindow: Duration.minutes(6) }, /changeBatchingWindow must be .*got 360 seconds/],
    [{ changeBatchSize: 0 }, /changeBatchSize must be a whole number from 1 to 10000/],
    [{ changeBatchSize: 10_001 }, /changeBatchSize must be .*got 10001/],
  ])('refuses %o', (props, message) => {
    expect(() => synthesize(bundleDir, props)).toThrow(InvalidPropsError);
    expect(() => synthesize(bundleDir, props)).toThrow(message);
  });

  it('hides a received batch for six times the scanner’s timeout and dead-letters a change after maxReceiveCount', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { maxReceiveCount: 3 });
    const resources = template.toJSON().Resources;

    // Act
    const buffer = resources[logicalIdOf(stack.redeploy.changeBuffer)].Properties;
    const scanner = resources[logicalIdOf(stack.redeploy.changeScanner.function)].Properties;

    // Assess
    expect(scanner.Timeout).toBe(900);
    expect(scanner.ReservedConcurrentExecutions).toBeUndefined();
    expect(buffer.VisibilityTimeout).toBe(6 * 900);
    expect(buffer.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(logicalIdOf(stack.redeploy.changeBufferDeadLetterQueue)),
      maxReceiveCount: 3,
    });
  });

  it('keeps the logical ids of the resources deployed before the buffer', () => {
    // Act
    const { stack } = synthesize(bundleDir);

    // Assess
    expect(
      [
        stack.redeploy.secretChanged.function,
        stack.redeploy.parameterChanged.function,
        stack.redeploy.redeployWorker.function,
        stack.redeploy.stateTable,
        stack.redeploy.redeployQueue,
        stack.redeploy.redeployDeadLetterQueue,
        stack.redeploy.deliveryDeadLetterQueue,
        stack.redeploy.failedInvocationQueue,
      ].map(logicalIdOf),
    ).toEqual([
      // As deployed before the change buffer existed: a replaced queue would lose its messages.
      'RotationRedeploySecretChangedFunctionCC890D9F',
      'RotationRedeployParameterChangedFunctionB3684FEE',
      'RotationRedeployRedeployWorkerFunction96368525',
      'RotationRedeployStateTableFE65D964',
      'RotationRedeployRedeployQueue20F4DD28',
      'RotationRedeployRedeployDeadLetterQueue1FFB2775',
      'RotationRedeployDeliveryDeadLetterQueueBD62D992',
      'RotationRedeployFailedInvocationQueue3EAE2A61',
    ]);
  });
});
