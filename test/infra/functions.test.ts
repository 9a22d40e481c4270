import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingBundleError } from '../../infra/errors.ts';
import { createStubBundleDir, logicalIdOf, removeDir, stubSource, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});
afterAll(() => removeDir(bundleDir));

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

  it('gives the handlers the environment they read at cold start, defaults first', () => {
    // Prepare
    const { template } = synthesize(bundleDir);

    // Act
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));

    // Assess
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toEqual({
        DRY_RUN: 'false',
        SELECTION_MODE: 'all',
        CONCURRENCY: '8',
        POWERTOOLS_SERVICE_NAME: 'rotation-redeploy',
        POWERTOOLS_METRICS_NAMESPACE: 'RotationRedeploy',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('passes dry run, selection mode and concurrency through to both functions', () => {
    // Prepare
    const { template } = synthesize(bundleDir, { dryRun: true, selectionMode: 'tagged', concurrency: 20 });

    // Act
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));

    // Assess
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        DRY_RUN: 'true',
        SELECTION_MODE: 'tagged',
        CONCURRENCY: '20',
      });
    }
  });

  it.each([0, 51, 2.5])('refuses concurrency %s', (concurrency) => {
    expect(() => synthesize(bundleDir, { concurrency })).toThrow(
      /concurrency must be a whole number from 1 to 50/,
    );
  });

  it.each([0, 1.5])(
    'refuses reserved concurrency %s, which would throttle events or cannot be set',
    (reservedConcurrency) => {
      expect(() => synthesize(bundleDir, { reservedConcurrency })).toThrow(
        /reservedConcurrency must be a whole number of at least 1/,
      );
    },
  );

  it('applies reserved concurrency, log retention and tracing when asked', () => {
    // Prepare
    const { template } = synthesize(bundleDir, { reservedConcurrency: 1, logRetention: 90, tracing: true });

    // Act & Assess
    template.allResourcesProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
    });
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
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
    for (const fn of stack.redeploy.functions) {
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
