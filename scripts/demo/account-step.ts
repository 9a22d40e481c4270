/** The first step: the small account the demo plays on, and the functions `cdk deploy` would add to it. */
import { table } from '../../functions/cli/render.ts';
import { BUNDLES, ENV } from '../../functions/contract.ts';
import {
  type DemoClients,
  type DemoNames,
  type SeededAccount,
  seedDemoAccount,
  VISIBILITY_TIMEOUT_SECONDS,
} from '../demo-account.ts';
import { newSecretValue } from './change-steps.ts';
import type { FunctionLogs } from './function-logs.ts';
import { COALESCE_SECONDS, type Functions, loadFunctions } from './lambda-runtime.ts';
import { indent, listed, type StepHeadings, type StepText, say, wrap } from './output.ts';
import type { Settling } from './settle-step.ts';
import type { StepRecord } from './verdict.ts';

const A_SMALL_ACCOUNT: StepText = {
  title: 'A small account',
  inAws:
    'your clusters, services, secrets and parameters already exist; `cdk deploy` adds the functions, the state table and the redeploy queue.',
  here: 'the same things are created on the emulator through the AWS SDK.',
};

export async function aSmallAccount(
  headings: StepHeadings,
  clients: DemoClients,
  names: DemoNames,
): Promise<{ record: Extract<StepRecord, { kind: 'account' }>; account: SeededAccount }> {
  headings.announce(A_SMALL_ACCOUNT);
  const account = await seedDemoAccount(clients, names, {
    secret: newSecretValue(),
    parameter: 'https://api.internal.example/v1',
  });
  say();
  say(`  Secret     ${names.secret}  (Secrets Manager)  ${account.refs.secretArn}`);
  say(`  Parameter  ${names.parameter}  (SSM Parameter Store)  ${account.refs.parameterArn}`);
  say();
  say(
    indent(
      table(
        ['CLUSTER', 'SERVICE', 'WHAT ITS TASK DEFINITION READS', 'EXPECTED'],
        account.services.map((service) => [
          service.clusterName,
          service.name,
          service.note,
          service.expected === 'redeployed' || service.expected === 'not a user'
            ? service.expected
            : `skipped: ${service.expected}`,
        ]),
      ),
    ),
  );
  say();
  say(indent(`State table ${names.table}, redeploy queue ${names.queue}.`));
  const services = account.services.map((service) => ({ name: service.name, expected: service.expected }));
  return { record: { kind: 'account', title: A_SMALL_ACCOUNT.title, services }, account };
}

/** The four bundles, imported into this process with the environment the stack gives each. */
export async function theFunctions(
  logs: FunctionLogs,
  endpoint: string,
  account: SeededAccount,
  names: DemoNames,
  settling: Settling,
): Promise<Functions> {
  const functions = await loadFunctions(logs, {
    endpoint,
    region: account.region,
    account: account.account,
    tableName: names.table,
    queueUrl: account.queueUrl,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    settleQueueUrl: settling.settleQueueUrl,
    notifyTopicArn: settling.topicArn,
  });
  const bundles = `${listed(Object.values(BUNDLES).map((name) => `dist/${name}`))} (index.mjs)`;
  say();
  say(
    wrap(
      `Functions: ${bundles}, the bundles \`cdk deploy\` uploads, each imported with the environment the stack gives it (queued delivery: ${ENV.tableName}, ${ENV.queueUrl}; ${ENV.coalesceSeconds}=${COALESCE_SECONDS} here so nothing waits).`,
    ),
  );
  return functions;
}
