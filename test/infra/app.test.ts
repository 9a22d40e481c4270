import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, removeDir } from './synth.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
let bundleDir: string;
const outDirs: string[] = [];
beforeAll(() => {
  bundleDir = createStubBundleDir();
});
afterAll(() => {
  removeDir(bundleDir);
  for (const dir of outDirs) removeDir(dir);
});

/** Runs infra/app.ts the way the CDK CLI does (context in CDK_CONTEXT_JSON), with no AWS settings at all. */
function runApp(context: Record<string, unknown>) {
  const outDir = mkdtempSync(path.join(tmpdir(), 'rotation-redeploy-cdk-out-'));
  outDirs.push(outDir);
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
    });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const template = run.template();
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DRY_RUN: 'true', SELECTION_MODE: 'tagged' }) },
    });
    template.resourceCountIs('AWS::Events::Rule', 3);
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  it('runs cdk-nag and writes each acknowledged finding with its reason into the template', () => {
    // Act
    const run = runApp({ bundleDir });

    // Assess
    expect(run.status).toBe(0);
    const queues = Object.values(run.template().findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) {
      expect(queue.Metadata.cdk_nag?.rules_to_suppress).toEqual([
        { id: 'AwsSolutions-SQS3', reason: expect.stringContaining('dead-letter queue') },
      ]);
    }
  });

  it.each([
    [{ selectionMode: 'some' }, 'InvalidContextError: Context selectionMode must be all | tagged'],
    [{ dryrun: 'true' }, 'InvalidContextError: Unknown context key dryrun: did you mean dryRun?'],
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
