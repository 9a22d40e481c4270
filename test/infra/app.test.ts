import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, tempDir } from './synth.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

/** Runs infra/app.ts the way the CDK CLI does (context in CDK_CONTEXT_JSON), with no AWS settings at all. */
function runApp(context: Record<string, unknown>) {
  const outDir = tempDir('rotation-redeploy-cdk-out-');
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_')),
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: root,
    env: { ...env, CDK_OUTDIR: outDir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const template = () =>
    Template.fromJSON(JSON.parse(readFileSync(path.join(outDir, 'RotationRedeploy.template.json'), 'utf8')));
  return { status: run.status, stderr: run.stderr, template };
}

describe('the CDK app', () => {
  it('synthesizes an environment-agnostic stack from context, without credentials', () => {
    // Act
    const run = runApp({
      bundleDir,
      dryRun: 'true',
      selectionMode: 'tagged',
      cloudTrailFallback: 'true',
      logRetentionDays: '14',
      updatesPerSecond: '3',
      coalesceWindow: '120',
      maxReceiveCount: 8,
      reconcile: 'fix',
      reconcileSchedule: 'cron(0 3 * * ? *)',
      reconcileReadsPerSecond: '2.5',
      rolloutTimeoutMinutes: '90',
      notifyOn: 'all',
      changeBatchingWindow: '30',
      changeBatchSize: '500',
    });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const template = run.template();
    template.resourceCountIs('AWS::Lambda::Function', 6);
    // The change scanner is the one that scans: dry run, selection and the coalescing window are its (the reconcile has no coalescing window).
    const scanners = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { COALESCE_SECONDS: Match.anyValue() } } },
    });
    expect(Object.keys(scanners)).toHaveLength(1);
    for (const fn of Object.values(scanners)) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        DRY_RUN: 'true',
        SELECTION_MODE: 'tagged',
        COALESCE_SECONDS: '120',
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DRY_RUN: 'true', UPDATES_PER_SECOND: '1.5', MAX_RECEIVE_COUNT: '8' }),
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
    // A dry-run stack's reconcile only reports, whatever its mode: it gets no queue.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          RECONCILE_MODE: 'report',
          READS_PER_SECOND: '2.5',
          SELECTION_MODE: 'tagged',
          QUEUE_URL: Match.absent(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ROLLOUT_TIMEOUT_MINUTES: '90', NOTIFY_ON: 'all' }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 30,
    });
    // The change rules (CloudTrail's too), the reconcile's schedule and the ECS deployments rule.
    template.resourceCountIs('AWS::Events::Rule', 5);
    // The change functions, the change scanner, the worker, the reconcile and the settle function.
    template.resourceCountIs('AWS::Logs::LogGroup', 6);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  it('runs cdk-nag and writes each acknowledged finding with its reason into the template', () => {
    // Act
    const run = runApp({ bundleDir });

    // Assess
    expect(run.status).toBe(0);
    const template = run.template();
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(8);
    // The redeploy queue, the settle queue and the change buffer name their dead-letter queues in redrive
    // policies, which cdk-nag recognizes for both sides.
    const redriven = Object.entries(queues).filter(
      ([, queue]) => queue.Properties.RedrivePolicy !== undefined,
    );
    expect(redriven).toHaveLength(3);
    const recognized = new Set(
      redriven.flatMap(([id, queue]) => [
        id,
        queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0],
      ]),
    );
    for (const [id, queue] of Object.entries(queues)) {
      if (recognized.has(id)) {
        expect(queue.Metadata?.cdk_nag).toBeUndefined();
      } else {
        expect(queue.Metadata.cdk_nag?.rules_to_suppress).toEqual([
          { id: 'AwsSolutions-SQS3', reason: expect.stringContaining('dead-letter queue') },
        ]);
      }
    }
    const describeSecret = template.findResources('AWS::IAM::Policy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: 'secretsmanager:DescribeSecret' })]),
        },
      },
    });
    expect(Object.keys(describeSecret)).toHaveLength(2);
    for (const policy of Object.values(describeSecret)) {
      expect(policy.Metadata.cdk_nag?.rules_to_suppress).toContainEqual({
        // Any Region, but only the accounts whose events count: by default this stack's own.
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*]',
        reason: expect.stringContaining('sourceAccounts'),
      });
    }
  });

  it.each([
    [{ selectionMode: 'some' }, 'InvalidContextError: Context selectionMode must be all | tagged'],
    [{ dryrun: 'true' }, 'InvalidContextError: Unknown context key dryrun: did you mean dryRun?'],
    [{ updatesPerSecond: '6' }, 'InvalidContextError: Context updatesPerSecond must be'],
  ])('stops with a one-line error on bad context %j', (context, message) => {
    // Act
    const run = runApp({ bundleDir, ...context });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
  });

  it('stops and names npm run build when the bundles are missing', () => {
    // Act
    const run = runApp({ bundleDir: path.join(bundleDir, 'nowhere') });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('MissingBundleError: Lambda bundle');
    expect(run.stderr).toContain('run `npm run build` first');
  });
});
