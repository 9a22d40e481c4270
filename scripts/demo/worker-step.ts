/** The step where the redeploy worker drains the queue, batch by batch, as the SQS event source would feed it. */
import { table } from '../../functions/cli/render.ts';
import { SQS_BATCH_MAX } from '../../functions/wiring/limits.ts';
import type { DemoNames, SeededAccount } from '../demo-account.ts';
import type { Demo } from './demo.ts';
import { MAX_RECEIVE_COUNT, WORKER_UPDATES_PER_SECOND } from './lambda-runtime.ts';
import { indent, plural, type StepText, say, sayIndented, short } from './output.ts';
import { type Batch, drainQueue } from './sqs-event-source.ts';
import type { StepRecord } from './verdict.ts';
import type { WorkerDid } from './worker-log.ts';

const WORKER_DRAINS_QUEUE: StepText = {
  title: 'The redeploy worker drains the queue',
  inAws: `the SQS event source hands the redeploy-worker function up to ${SQS_BATCH_MAX} messages at a time and deletes the ones it reports done. The worker handles a batch's messages one after another. For each, it takes every change pending for the service and calls UpdateService (forceNewDeployment) once for all of them, paced at ${plural(WORKER_UPDATES_PER_SECOND, 'call', 'calls')} a second (its share of the stack's default rate); a message whose changes are done already is dropped. A message that fails goes back to the queue and is retried later, and after ${MAX_RECEIVE_COUNT} attempts it moves to the dead-letter queue.`,
  here: 'the demo receives from the queue, calls dist/redeploy-worker with the SQS event, and deletes what it reports done.',
};

const WORKER_DID: Readonly<Record<WorkerDid, string>> = {
  redeployed: 'redeployed',
  'already-done': 'already done: dropped',
  retry: 'retry later',
  failed: 'failed: to the dead-letter queue',
};

export async function workerDrainsQueue(demo: Demo): Promise<Extract<StepRecord, { kind: 'worker' }>> {
  demo.headings.announce(WORKER_DRAINS_QUEUE);
  const { account } = demo;
  const queue = {
    queueUrl: account.queueUrl,
    queueArn: `arn:aws:sqs:${account.region}:${account.account}:${demo.names.queue}`,
    region: account.region,
  };
  const batches = await drainQueue(demo.clients.sqs, queue, demo.functions.redeployWorker, (batch) =>
    sayBatch(batch, account, demo.names),
  );
  if (batches.length === 0) say('  The queue is empty: nothing to redeploy.');
  return { kind: 'worker', title: WORKER_DRAINS_QUEUE.title, batches };
}

function sayBatch(batch: Batch, account: SeededAccount, names: DemoNames): void {
  say();
  say(`  Batch ${batch.number}: ${plural(batch.messages, 'message', 'messages')}`);
  say(
    indent(
      table(
        ['SERVICE', 'CLUSTER', 'WORKER DID', 'DEPLOYMENT', 'CHANGES'],
        batch.outcomes.map((outcome) => [
          outcome.serviceName,
          outcome.clusterName,
          WORKER_DID[outcome.did],
          outcome.deploymentId ?? '',
          outcome.changeKeys.map((key) => describeChangeKey(key, account, names)).join(' + '),
        ]),
      ),
      '    ',
    ),
  );
  for (const outcome of batch.outcomes) {
    if (outcome.did === 'redeployed' && outcome.changeKeys.length > 1) {
      say(
        `    ${outcome.serviceName}: one deployment for ${outcome.changeKeys.length} changes (they coalesced).`,
      );
    }
    if (outcome.did === 'retry' && outcome.errorName === 'ServiceBusyError') {
      sayIndented(
        `${outcome.serviceName}: another worker instance was redeploying it at that moment (the event source runs more than one at once), so this message is retried later, and then finds its change done.`,
        '    ',
      );
    } else if (outcome.did === 'retry' || outcome.did === 'failed') {
      say(`    ${outcome.serviceName}: ${outcome.reason ?? 'no reason logged'}`);
    }
  }
  if (batch.returned > 0) {
    say(
      `    ${plural(batch.returned, 'message', 'messages')} back on the queue. SQS would hand ${batch.returned === 1 ? 'it' : 'them'} over again after the worker's retry delay; the demo does not wait.`,
    );
  }
}

/** A change key (`ARN|label|version` or `ARN|version`) in words, for the seeded secret and parameter. */
function describeChangeKey(key: string, account: SeededAccount, names: DemoNames): string {
  const [arn = '', ...rest] = key.split('|');
  if (arn === account.refs.secretArn && rest.length === 2) {
    return `secret ${names.secret} ${rest[0]}=${short(rest[1] ?? '')}`;
  }
  if (arn === account.refs.parameterArn && rest.length === 1) {
    return `parameter ${names.parameter} v${rest[0]}`;
  }
  return key;
}
