/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy -c key=value` (keys in infra/context.ts). The only place
 * that reads context. Environment-agnostic, so it synthesizes offline and without credentials; the CLI's
 * account and Region decide where it deploys.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { optionsFromContext } from './context.ts';
import { InvalidContextError, InvalidPropsError, MissingBundleError } from './errors.ts';
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
  if (
    !(
      error instanceof InvalidContextError ||
      error instanceof MissingBundleError ||
      error instanceof InvalidPropsError
    )
  ) {
    throw error;
  }
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
}
