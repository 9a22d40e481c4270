import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../functions/wiring/settings.ts';
import { createStubBundleDir, logicalIdOf, stubSource, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

describe('redeploy queue', () => {
  it('sends a message to its dead-letter queue after 5 receives by default', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;

    // Act
    const queue = resources[logicalIdOf(stack.redeploy.redeployQueue)].Properties;
    const deadLetterQueue = resources[logicalIdOf(stack.redeploy.redeployDeadLetterQueue)].Properties;

    // Assess
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(logicalIdOf(stack.redeploy.redeployDeadLetterQueue)),
      maxReceiveCount: 5,
    });
    expect(deadLetterQueue.RedrivePolicy).toBeUndefined();
  });

  it('lets the dead-letter queue take its source queue’s messages, so they can be redriven back', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const deadLetterQueue =
      template.toJSON().Resources[logicalIdOf(stack.redeploy.redeployDeadLetterQueue)].Properties;

    // Assess
    expect(deadLetterQueue.RedriveAllowPolicy).toEqual({ redrivePermission: 'allowAll' });
    expect(deadLetterQueue.MessageRetentionPeriod).toBe(1_209_600);
  });

  it('hides a received message for six times the worker’s timeout, as Lambda advises', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;

    // Act
    const queue = resources[logicalIdOf(stack.redeploy.redeployQueue)].Properties;
    const worker = resources[logicalIdOf(stack.redeploy.redeployWorker.function)].Properties;

    // Assess
    expect(worker.Timeout).toBe(120);
    expect(queue.VisibilityTimeout).toBe(6 * worker.Timeout);
  });

  it('takes maxReceiveCount to the redrive policy and the worker alike', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { maxReceiveCount: 3 });
    const resources = template.toJSON().Resources;

    // Act
    const queue = resources[logicalIdOf(stack.redeploy.redeployQueue)].Properties;
    const worker = resources[logicalIdOf(stack.redeploy.redeployWorker.function)].Properties;

    // Assess
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(3);
    expect(worker.Environment.Variables.MAX_RECEIVE_COUNT).toBe('3');
  });

  it('is where the change scanner queues redeploys', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;

    // Act
    const url =
      resources[logicalIdOf(stack.redeploy.changeScanner.function)].Properties.Environment.Variables
        .QUEUE_URL;

    // Assess
    expect(url).toEqual({ Ref: logicalIdOf(stack.redeploy.redeployQueue) });
  });
});

describe('redeploy worker', () => {
  it('reads the queue in batches of 10, reports single failures, and runs at most 2 at once', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const mappings = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: logicalIdOf(stack.redeploy.redeployWorker.function) } },
      }),
    );

    // Assess
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toEqual({
      EventSourceArn: arnOf(logicalIdOf(stack.redeploy.redeployQueue)),
      FunctionName: { Ref: logicalIdOf(stack.redeploy.redeployWorker.function) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('creates the event source mapping only once the role may receive from the queue', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const role = stack.redeploy.redeployWorker.role;

    // Act
    const mapping = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: logicalIdOf(stack.redeploy.redeployWorker.function) } },
      }),
    )[0];

    // Assess
    expect(mapping?.DependsOn).toEqual(
      expect.arrayContaining([logicalIdOf(role.node.findChild('DefaultPolicy')), logicalIdOf(role)]),
    );
  });

  it('is deployed from the redeploy-worker bundle with a 2-minute timeout, no reserved concurrency, its own log group', () => {
    // Prepare
    const { app, stack, template } = synthesize(bundleDir);
    const worker = stack.redeploy.redeployWorker;

    // Act
    const assembly = app.synth();
    const properties = template.toJSON().Resources[logicalIdOf(worker.function)].Properties;
    const assetHash = properties.Code.S3Key.replace(/\.zip$/, '');
    const staged = readFileSync(path.join(assembly.directory, `asset.${assetHash}`, 'index.mjs'), 'utf8');

    // Assess
    expect(staged).toBe(stubSource('redeploy-worker'));
    expect(properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 120,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(worker.logGroup) } },
      Role: { 'Fn::GetAtt': [logicalIdOf(worker.role), 'Arn'] },
    });
    // The event source's maximum concurrency bounds it; a reservation would throttle batches into the DLQ.
    expect(properties.ReservedConcurrentExecutions).toBeUndefined();
    // Only SQS invokes it: no asynchronous retries or on-failure destination.
    template.resourcePropertiesCountIs(
      'AWS::Lambda::EventInvokeConfig',
      { FunctionName: { Ref: logicalIdOf(worker.function) } },
      0,
    );
  });

  it('gives the worker its queue, its table, half the stack’s update rate and the queue’s own settings', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;

    // Act
    const variables =
      resources[logicalIdOf(stack.redeploy.redeployWorker.function)].Properties.Environment.Variables;
    const queue = resources[logicalIdOf(stack.redeploy.redeployQueue)].Properties;

    // Assess
    expect(variables).toEqual({
      DRY_RUN: 'false',
      QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.redeployQueue) },
      TABLE_NAME: { Ref: logicalIdOf(stack.redeploy.stateTable) },
      CODE_DEPLOY: 'true',
      // 2 a second for the stack, shared by at most 2 worker instances.
      UPDATES_PER_SECOND: '1',
      MAX_RECEIVE_COUNT: String(queue.RedrivePolicy.maxReceiveCount),
      VISIBILITY_TIMEOUT_SECONDS: String(queue.VisibilityTimeout),
      // The flap guard: the worker holds a service back past this many forced deployments in an hour.
      MAX_REDEPLOYS_PER_HOUR: '6',
      // Its part of the stack's half of each ECS bucket: 7 processes may run at once (the scanner's 2, its own 2,
      // the reconcile's 1 and the settle function's 2).
      ECS_SHARE: '0.071428',
      // The first look at each deployment it starts goes to the settle queue.
      SETTLE_QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.settleQueue) },
      ROLLOUT_TIMEOUT_MINUTES: '60',
      POWERTOOLS_SERVICE_NAME: 'rotation-redeploy',
      POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it.each([
    [5, '2.5'],
    [1, '0.5'],
    [0.1, '0.05'],
  ])(
    'shares updatesPerSecond %s between the 2 worker instances as %s, a rate the worker accepts',
    (rate, share) => {
      // Prepare
      const { stack, template } = synthesize(bundleDir, { updatesPerSecond: rate });

      // Act
      const variables =
        template.toJSON().Resources[logicalIdOf(stack.redeploy.redeployWorker.function)].Properties
          .Environment.Variables;

      // Assess
      expect(variables.UPDATES_PER_SECOND).toBe(share);
      expect(
        settingsFromEnv({ UPDATES_PER_SECOND: variables.UPDATES_PER_SECOND }).updatesPerSecond * 2,
      ).toBeCloseTo(rate);
    },
  );
});
