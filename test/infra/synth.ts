/**
 * Synthesizes the stack against stub bundles in a temp dir, so infra tests never depend on `npm run build`.
 * Every directory made here (stub bundles, CDK output) is removed after the test file that made it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';
import { BUNDLES } from '../../functions/contract.ts';
import {
  RotationRedeployStack,
  type RotationRedeployStackProps,
} from '../../infra/rotation-redeploy-stack.ts';

export const BUNDLE_NAMES = Object.values(BUNDLES);

const madeHere: string[] = [];

/**
 * A new directory in the system temp folder, removed after the current test file. An App given no outdir
 * makes one of its own there (`cdk.out…`) and never removes it.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  madeHere.push(dir);
  return dir;
}

// Registered when a test file imports this module, so every file that synthesizes cleans up after itself.
afterAll(() => {
  for (const dir of madeHere.splice(0)) removeDir(dir);
});

/** An App writing its cloud assembly to a temp dir that is removed after the test file. */
export function newApp(): App {
  return new App({ outdir: tempDir('rotation-redeploy-cdk-out-') });
}

/** A stub `index.mjs` whose text names its bundle, so a test can tell which one CDK staged. */
export function stubSource(name: string): string {
  return `export const handler = async () => ${JSON.stringify(`stub ${name}`)};\n`;
}

/** A directory laid out like dist/: `<name>/index.mjs` for each given bundle. */
export function createStubBundleDir(names: readonly string[] = BUNDLE_NAMES): string {
  const dir = tempDir('rotation-redeploy-bundles-');
  for (const name of names) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'index.mjs'), stubSource(name));
  }
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Synthesized {
  readonly app: App;
  readonly stack: RotationRedeployStack;
  readonly template: Template;
}

/** The app and stack, not yet synthesized (the construct tree can still change). */
export function buildApp(
  bundleDir: string,
  props: RotationRedeployStackProps = {},
): Omit<Synthesized, 'template'> {
  const app = newApp();
  const stack = new RotationRedeployStack(app, 'TestStack', { bundleDir, ...props });
  return { app, stack };
}

export function synthesize(bundleDir: string, props: RotationRedeployStackProps = {}): Synthesized {
  const { app, stack } = buildApp(bundleDir, props);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation knows a construct by (its own resource, or its L1 child's). */
export function logicalIdOf(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!CfnElement.isCfnElement(element))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(element);
}
