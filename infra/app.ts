/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy -c key=value` (keys in infra/context.ts). The only place
 * that reads context. Environment-agnostic, so it synthesizes offline and without credentials; the CLI's
 * account and Region decide where it deploys.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RotationRedeployError } from '../functions/core/errors.ts';
import { optionsFromContext } from './context.ts';
import { RotationRedeployStack } from './rotation-redeploy-stack.ts';

const app = new App();
try {
  new RotationRedeployStack(app, 'RotationRedeploy', optionsFromContext(app.node.getAllContext()));
  // Any unacknowledged AwsSolutions finding stops synthesis (and so deployment) with a report; the
  // acknowledged ones, with their reasons, are written into the template's Metadata for reviewers.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
} catch (error) {
  // The app's own errors (bad context or props, missing bundles) say what to fix: one line, no stack.
  if (!(error instanceof RotationRedeployError)) throw error;
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
}
