import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BundledFunction } from '../../infra/constructs/bundled-function.ts';
import { InvalidPropsError, MissingBundleError } from '../../infra/errors.ts';
import { createStubBundleDir, logicalIdOf, newApp, removeDir, stubSource, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

describe('functions', () => {
  it.each([
    ['secretChanged', 'secret-changed'],
    ['parameterChanged', 'parameter-changed'],
  ] as const)(
    'deploys the %s function from the %s bundle exactly as built, with the house defaults',
    (key, bundle) => {
      // Prepare
      const { app, stack, template } = synthesize(bundleDir);
      const fn = stack.redeploy[key];

      // Act
      const assembly = app.synth();
      const properties = template.toJSON().Resources[logicalIdOf(fn.function)].Properties;
      const assetHash = properties.Code.S3Key.replace(/\.zip$/, '');
      const staged = readFileSync(path.join(assembly.directory, `asset.${assetHash}`, 'index.mjs'), 'utf8');

      // Assess
      expect(staged).toBe(stubSource(bundle));
      expect(properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 900,
        ReservedConcurrentExecutions: 2,
        LoggingConfig: {
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          SystemLogLevel: 'INFO',
          LogGroup: { Ref: logicalIdOf(fn.logGroup) },
        },
        Role: { 'Fn::GetAtt': [logicalIdOf(fn.role), 'Arn'] },
      });
      expect(properties.TracingConfig).toBeUndefined();
    },
  );

  it('gives the change functions only the change buffer, and the change scanner what it reads at cold start, defaults first', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;
    const variables = (fn: BundledFunction) =>
      resources[logicalIdOf(fn.function)].Properties.Environment.Variables;
    const runtime = {
      POWERTOOLS_SERVICE_NAME: 'rotation-redeploy',
      POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };

    // Act
    const changeFunctions = stack.redeploy.changeFunctions.map(variables);
    const scanner = variables(stack.redeploy.changeScanner);

    // Assess: the change functions, the change scanner, the worker, the settle function and the reconcile.
    template.resourceCountIs('AWS::Lambda::Function', 6);
    expect(changeFunctions).toHaveLength(2);
    for (const fn of changeFunctions) {
      // With CHANGES_QUEUE_URL set, a change function buffers each change and never scans.
      expect(fn).toEqual({
        CHANGES_QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.changeBuffer) },
        ...runtime,
      });
    }
    expect(scanner).toEqual({
      DRY_RUN: 'false',
      SELECTION_MODE: 'all',
      CONCURRENCY: '8',
      // Queued delivery: with QUEUE_URL set, the scanner queues redeploys and never calls UpdateService.
      TABLE_NAME: { Ref: logicalIdOf(stack.redeploy.stateTable) },
      QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.redeployQueue) },
      COALESCE_SECONDS: '60',
      // CODE_DEPLOY services are deployed through their deployment group (context codeDeploy=false skips them).
      CODE_DEPLOY: 'true',
      // Its part of the stack's half of each ECS bucket: 7 processes may run at once (its 2, the worker's 2,
      // the settle function's 2 and the reconcile's 1).
      ECS_SHARE: '0.071428',
      // To report a service the flap guard holds back as deferred.
      MAX_REDEPLOYS_PER_HOUR: '6',
      // Each change queued is watched on the settle queue until it settles, at the latest by its deadline.
      SETTLE_QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.settleQueue) },
      ROLLOUT_TIMEOUT_MINUTES: '60',
      ...runtime,
    });
  });

  it('passes dry run, selection mode, concurrency and the coalescing window through to the change scanner', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, {
      dryRun: true,
      selectionMode: 'tagged',
      concurrency: 20,
      coalesceWindow: Duration.minutes(15),
    });
    const resources = template.toJSON().Resources;

    // Act
    const scanner = resources[logicalIdOf(stack.redeploy.changeScanner.function)];

    // Assess
    expect(scanner.Properties.Environment.Variables).toMatchObject({
      DRY_RUN: 'true',
      SELECTION_MODE: 'tagged',
      CONCURRENCY: '20',
      COALESCE_SECONDS: '900',
    });
  });

  it('tells every function that acts on services that CodeDeploy is off when codeDeploy is false', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { codeDeploy: false });
    const resources = template.toJSON().Resources;

    // Act
    const variables = stack.redeploy.functions.map(
      (fn) => resources[logicalIdOf(fn.function)].Properties.Environment.Variables,
    );

    // Assess: the change functions only buffer changes; the others act on services or follow them.
    expect(variables.map((env) => env.CODE_DEPLOY)).toEqual([
      undefined,
      undefined,
      'false',
      'false',
      'false',
      'false',
    ]);
  });

  it.each([
    [{ updatesPerSecond: 0 }, /updatesPerSecond must be a number above 0 and at most 5/],
    [{ updatesPerSecond: 5.5 }, /updatesPerSecond must be/],
    [{ updatesPerSecond: Number.NaN }, /updatesPerSecond must be/],
    [
      { coalesceWindow: Duration.seconds(901) },
      /coalesceWindow must be a whole number from 0 to 900 seconds .*, got 901 seconds/,
    ],
    [{ coalesceWindow: Duration.millis(1500) }, /coalesceWindow must be a whole number.*, got 1.5 seconds/],
    [{ maxReceiveCount: 0 }, /maxReceiveCount must be a whole number from 1 to 1000/],
    [{ maxReceiveCount: 1001 }, /maxReceiveCount must be/],
    [{ maxReceiveCount: 2.5 }, /maxReceiveCount must be/],
  ])('refuses queue settings %j', (props, message) => {
    expect(() => synthesize(bundleDir, props)).toThrow(InvalidPropsError);
    expect(() => synthesize(bundleDir, props)).toThrow(message);
  });

  it.each([0, 51, 2.5])('refuses concurrency %s', (concurrency) => {
    expect(() => synthesize(bundleDir, { concurrency })).toThrow(
      /concurrency must be a whole number from 1 to 50/,
    );
  });

  it.each([0, 1.5, 1001])(
    'refuses reserved concurrency %s, which would throttle events, cannot be set or exceeds the account',
    (reservedConcurrency) => {
      expect(() => synthesize(bundleDir, { reservedConcurrency })).toThrow(
        /reservedConcurrency must be a whole number from 1 to 1000/,
      );
    },
  );

  it('applies reserved concurrency to the change functions, log retention and tracing to all, when asked', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, {
      reservedConcurrency: 1,
      logRetention: 90,
      tracing: true,
    });
    const resources = template.toJSON().Resources;
    const properties = (fn: BundledFunction) => resources[logicalIdOf(fn.function)].Properties;

    // Act & Assess
    for (const fn of stack.redeploy.changeFunctions)
      expect(properties(fn).ReservedConcurrentExecutions).toBe(1);
    // The worker and the scanner are bounded by their event sources' maximum concurrency instead.
    expect(properties(stack.redeploy.redeployWorker).ReservedConcurrentExecutions).toBeUndefined();
    expect(properties(stack.redeploy.changeScanner).ReservedConcurrentExecutions).toBeUndefined();
    template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('gives each function its own log group, kept 30 days by default', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir);

    // Act
    const groups = template.findResources('AWS::Logs::LogGroup');

    // Assess
    expect(Object.keys(groups).sort()).toEqual(
      [
        logicalIdOf(stack.redeploy.secretChanged.logGroup),
        logicalIdOf(stack.redeploy.parameterChanged.logGroup),
        logicalIdOf(stack.redeploy.changeScanner.logGroup),
        logicalIdOf(stack.redeploy.redeployWorker.logGroup),
        logicalIdOf(stack.redeploy.reconcile?.logGroup ?? stack.redeploy.redeployWorker.logGroup),
        logicalIdOf(stack.redeploy.settleFunction.logGroup),
      ].sort(),
    );
    for (const group of Object.values(groups)) {
      expect(group.Properties.RetentionInDays).toBe(30);
      // A generated name: two stacks in one account never collide.
      expect(group.Properties.LogGroupName).toBeUndefined();
    }
  });

  it('sends an event that failed all asynchronous attempts to the failed-invocation queue', () => {
    // Prepare
    const { template, stack } = synthesize(bundleDir);
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.failedInvocationQueue), 'Arn'] };

    // Act & Assess
    // Three: only their queues invoke the worker and the settle function; the reconcile's schedule invokes it.
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 3);
    for (const fn of [...stack.redeploy.changeFunctions, ...[stack.redeploy.reconcile ?? []].flat()]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalIdOf(fn.function) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21_600,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalIdOf(fn.role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']), Resource: queueArn }),
          ]),
        },
      });
    }
  });

  it('gives the settle function its queue, its table, the topic, which reports to publish and the deadline', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { rolloutTimeoutMinutes: 90, notifyOn: 'all' });
    const fn = stack.redeploy.settleFunction;

    // Act
    const properties = template.toJSON().Resources[logicalIdOf(fn.function)].Properties;

    // Assess
    expect(properties.Environment.Variables).toEqual({
      SETTLE_QUEUE_URL: { Ref: logicalIdOf(stack.redeploy.settleQueue) },
      ROLLOUT_TIMEOUT_MINUTES: '90',
      TABLE_NAME: { Ref: logicalIdOf(stack.redeploy.stateTable) },
      NOTIFY_TOPIC_ARN: { Ref: logicalIdOf(stack.redeploy.notifyTopic) },
      NOTIFY_ON: 'all',
      CODE_DEPLOY: 'true',
      // Its part of the stack's half of each ECS bucket, as every function that calls ECS (7 processes).
      ECS_SHARE: '0.071428',
      POWERTOOLS_SERVICE_NAME: 'rotation-redeploy',
      POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(properties).toMatchObject({ Timeout: 60, MemorySize: 256, Handler: 'index.handler' });
    expect(properties.ReservedConcurrentExecutions).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(fn.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it.each([
    [{ rolloutTimeoutMinutes: 0 }, /rolloutTimeoutMinutes must be a whole number from 1 to 1440, got 0/],
    [{ rolloutTimeoutMinutes: 1441 }, /rolloutTimeoutMinutes must be a whole number from 1 to 1440/],
    [{ rolloutTimeoutMinutes: 2.5 }, /rolloutTimeoutMinutes must be a whole number/],
    [{ notifyOn: 'never' as 'all' }, /notifyOn must be 'failures' or 'all', got "never"/],
    [
      { notifyEmail: 'ops@example.com', notifyTopicArn: 'arn:aws:sns:eu-west-1:123456789012:reports' },
      /either notifyEmail .* or notifyTopic .*, not both/,
    ],
  ])('refuses the settling settings %j, naming what is allowed', (props, message) => {
    expect(() => synthesize(bundleDir, props)).toThrow(message);
  });

  it('refuses an on-failure destination for a function that is not invoked asynchronously', () => {
    // Prepare
    const stack = new Stack(newApp(), 'Bare');
    const queue = new sqs.Queue(stack, 'Queue');

    // Act & Assess
    expect(
      () =>
        new BundledFunction(stack, 'Worker', {
          bundleDir,
          bundleName: 'redeploy-worker',
          description: 'a worker',
          onFailure: new destinations.SqsDestination(queue),
          invokedAsynchronously: false,
        }),
    ).toThrow(/Worker: onFailure applies to asynchronous invocations only/);
  });

  it('refuses to synthesize without a bundle, naming npm run build', () => {
    // Prepare
    const partial = createStubBundleDir(['secret-changed']);

    try {
      // Act & Assess
      expect(() => synthesize(partial)).toThrow(MissingBundleError);
      expect(() => synthesize(partial)).toThrow(
        `Lambda bundle ${path.join(partial, 'parameter-changed', 'index.mjs')} is missing: run \`npm run build\` first`,
      );
    } finally {
      removeDir(partial);
    }
  });
});
