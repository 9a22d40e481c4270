/** The demo as a list of named steps, on an emulator chosen beforehand; returns the verdict as data. */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type DemoClients, demoNames } from '../demo-account.ts';
import { awsClientConfig } from '../emulator.ts';
import { aSmallAccount, theFunctions } from './account-step.ts';
import { parameterChanges, rotationFinishes, rotationStarts, sameEventAgain } from './change-steps.ts';
import { primaryDeployments } from './deployments.ts';
import type { Emulator } from './emulator-choice.ts';
import type { FunctionLogs } from './function-logs.ts';
import { StepHeadings, say } from './output.ts';
import { whatChanged } from './result-step.ts';
import { createSettling, rolloutsSettle } from './settle-step.ts';
import type { DemoVerdict, StepRecord } from './verdict.ts';
import { workerDrainsQueue } from './worker-step.ts';

export async function play(server: Emulator, logs: FunctionLogs): Promise<DemoVerdict> {
  // On an emulator the user runs, a run id keeps this run's names apart from what earlier runs left there.
  const runId = server.own ? null : randomBytes(2).toString('hex');
  const names = demoNames(runId);
  const clients = demoClients(server.endpoint);
  say(
    server.own
      ? `Started moto_server, the local AWS emulator, on ${server.endpoint}. Nothing leaves this machine.`
      : `Using the emulator at AWS_ENDPOINT_URL=${server.endpoint}; names carry the run id "${runId}".`,
  );
  try {
    const headings = new StepHeadings();
    const seeded = await aSmallAccount(headings, clients, names);
    const { account } = seeded;
    const before = await primaryDeployments(clients.ecs, account.services);
    const settling = await createSettling(clients.sqs, clients.sns, names);
    const functions = await theFunctions(logs, server.endpoint, account, names, settling);
    const demo = { clients, names, account, functions, headings };

    const started = await rotationStarts(demo);
    const finished = await rotationFinishes(demo, started.versionId);
    const again = await sameEventAgain(demo, finished.event);
    const parameter = await parameterChanges(demo, finished.record);
    const worker = await workerDrainsQueue(demo);
    const settled = await rolloutsSettle(demo, settling, before);
    const steps = [seeded.record, started.record, finished.record, again, parameter, worker, settled];
    const result = await whatChanged(demo, before, steps);

    return {
      ok: result.services.every((service) => service.problem === null) && settledAsPlayed(settled),
      emulator: { endpoint: server.endpoint, own: server.own },
      logFile: logs.file,
      steps: [...steps, result.record],
      services: result.services,
    };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

function demoClients(endpoint: string): DemoClients {
  const config = awsClientConfig(endpoint);
  return {
    ecs: new ECSClient(config),
    secretsManager: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
  };
}

/** The one failed rollout is reported failed in a settled report, and its notification was published. */
function settledAsPlayed(settled: Extract<StepRecord, { kind: 'settle' }>): boolean {
  const failed = settled.reports.flatMap((report) =>
    report.services.filter((service) => service.state === 'failed').map((service) => service.name),
  );
  const others = settled.reports.flatMap((report) =>
    report.services.filter((service) => service.name !== settled.failing).map((service) => service.state),
  );
  return (
    failed.length > 0 &&
    failed.every((name) => name === settled.failing) &&
    others.every((state) => state === 'completed') &&
    settled.notifications.length > 0
  );
}
