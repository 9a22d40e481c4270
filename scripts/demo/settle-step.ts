/**
 * The step where the rollouts end and each change settles: ECS says how each deployment the worker started
 * ended (one fails on the deployment circuit breaker), the settle function logs one settled report per change
 * and publishes the one with a failed rollout to the notification topic, read back here from a queue
 * subscribed to it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { table } from '../../functions/cli/render.ts';
import { LOG_MESSAGES } from '../../functions/contract.ts';
import type { SettledReport } from '../../functions/core/settled-report.ts';
import type { DemoNames, SeededAccount } from '../demo-account.ts';
import { sqsEventOf } from '../sqs-event.ts';
import type { Demo } from './demo.ts';
import { DemoError } from './demo-error.ts';
import { primaryDeployments } from './deployments.ts';
import { indent, plural, type StepText, say, sayIndented } from './output.ts';
import type { Deployments, StepRecord } from './verdict.ts';

const ROLLOUTS_SETTLE: StepText = {
  title: 'The rollouts end, and each change settles',
  inAws:
    'ECS sends an ECS Deployment State Change event when each deployment completes or fails (FAILED where the deployment circuit breaker is on); a rule puts them on the settle queue, and delayed looks poll whatever no event settled. The settle-rollouts function keeps the ones the worker started, records each end in its change’s ledger, and when the last service of a change has ended (or its deadline passed) logs one settled report and publishes it to the notification topic when a rollout failed.',
  here: 'the emulator leaves every deployment in progress, so the demo plays ECS’s part: it sends the events ECS would, one deployment failing on the circuit breaker, through dist/settle-rollouts. The topic is on the emulator; a queue subscribed to it shows the notification as an e-mail subscriber would get it.',
};

/** The circuit breaker's words when new tasks fail to start (a bad secret value, among others). */
const CIRCUIT_BREAKER_REASON = 'ECS deployment circuit breaker: task failed to start.';

/** What the stack adds for settling: the settle queue, the notification topic, and (demo only) a subscriber. */
export interface Settling {
  readonly settleQueueUrl: string;
  readonly topicArn: string;
  /** A queue subscribed to the topic: what an e-mail subscription would receive lands here. */
  readonly inboxUrl: string;
}

export async function createSettling(sqs: SQSClient, sns: SNSClient, names: DemoNames): Promise<Settling> {
  const settle = await sqs.send(new CreateQueueCommand({ QueueName: `${names.queue}-settle` }));
  const topic = await sns.send(new CreateTopicCommand({ Name: `${names.queue}-reports` }));
  const inbox = await sqs.send(new CreateQueueCommand({ QueueName: `${names.queue}-inbox` }));
  const settleQueueUrl = required(settle.QueueUrl, 'QueueUrl');
  const topicArn = required(topic.TopicArn, 'TopicArn');
  const inboxUrl = required(inbox.QueueUrl, 'QueueUrl');
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: inboxUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: required(attributes.Attributes?.QueueArn, 'QueueArn'),
    }),
  );
  return { settleQueueUrl, topicArn, inboxUrl };
}

export async function rolloutsSettle(
  demo: Demo,
  settling: Settling,
  before: Deployments,
): Promise<Extract<StepRecord, { kind: 'settle' }>> {
  demo.headings.announce(ROLLOUTS_SETTLE);
  const { account } = demo;
  const after = await primaryDeployments(demo.clients.ecs, account.services);
  const redeployed = account.services.filter(
    (service) => (after.get(service.serviceArn) ?? '') !== (before.get(service.serviceArn) ?? ''),
  );
  const failing = redeployed[0];
  if (failing === undefined) throw new DemoError('no service was redeployed, so no rollout can end');
  const events = redeployed.map((service) =>
    deploymentEvent(account, service.serviceArn, after.get(service.serviceArn) ?? '', service === failing),
  );
  say();
  sayIndented(
    `ECS: ${plural(redeployed.length - 1, 'deployment', 'deployments')} completed; ${failing.name}'s failed: ${CIRCUIT_BREAKER_REASON}`,
  );
  const { lines } = await demo.functions.settleRollouts(
    sqsEventOf(
      events.map((event) => ({
        MessageId: randomUUID(),
        ReceiptHandle: randomUUID(),
        Body: JSON.stringify(event),
      })),
      {
        queueArn: `arn:aws:sqs:${account.region}:${account.account}:${demo.names.queue}-settle`,
        region: account.region,
      },
    ),
  );
  const reports = lines
    .filter((line) => line.message === LOG_MESSAGES.redeploySettled)
    .map((line) => line.report as SettledReport);
  for (const report of reports) sayReport(report);
  const notifications = await notificationsIn(demo.clients.sqs, settling.inboxUrl);
  sayNotifications(notifications);
  return {
    kind: 'settle',
    title: ROLLOUTS_SETTLE.title,
    failing: failing.name,
    reports: reports.map((report) => ({
      change: report.change?.name ?? report.changeKey,
      summary: report.summary,
      services: report.services.map((service) => ({
        name: service.service.serviceName,
        state: service.state,
        reason: service.reason,
      })),
    })),
    notifications: notifications.map((notification) => notification.subject),
  };
}

/** An ECS Deployment State Change event as ECS sends it, from the samples in events/. */
function deploymentEvent(account: SeededAccount, serviceArn: string, deploymentId: string, fails: boolean) {
  const sample = fails ? 'ecs-deployment-failed.json' : 'ecs-deployment-completed.json';
  const event = JSON.parse(readFileSync(new URL(`../../events/${sample}`, import.meta.url), 'utf8'));
  const now = new Date().toISOString();
  return {
    ...event,
    id: randomUUID(),
    account: account.account,
    region: account.region,
    time: now,
    resources: [serviceArn],
    detail: {
      ...event.detail,
      deploymentId,
      updatedAt: now,
      reason: fails ? CIRCUIT_BREAKER_REASON : `ECS deployment ${deploymentId} completed.`,
    },
  };
}

function sayReport(report: SettledReport): void {
  const { summary } = report;
  say();
  say(`  Settled: ${report.change?.name ?? report.changeKey} (log line "${LOG_MESSAGES.redeploySettled}")`);
  say(
    indent(
      table(
        ['SERVICE', 'ROLLOUT', 'SECONDS', 'REASON'],
        report.services.map((service) => [
          service.service.serviceName,
          service.state,
          service.seconds === null ? '' : String(service.seconds),
          service.reason ?? '',
        ]),
      ),
      '    ',
    ),
  );
  say(
    `    ${summary.onNewValue} of ${plural(summary.services, 'service', 'services')} on the new value: ${summary.completed} completed, ${summary.superseded} superseded, ${summary.rolloutFailed} failed, ${summary.timedOut} timed out.`,
  );
}

interface Notification {
  readonly subject: string;
  readonly body: string;
}

/** What SNS delivered to the subscribed queue: each message wraps the subject and the body it was given. */
async function notificationsIn(sqs: SQSClient, inboxUrl: string): Promise<Notification[]> {
  const answer = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: inboxUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (answer.Messages ?? []).map((message) => {
    const delivered = JSON.parse(message.Body ?? '{}') as { Subject?: string; Message?: string };
    return { subject: delivered.Subject ?? '', body: delivered.Message ?? '' };
  });
}

function sayNotifications(notifications: readonly Notification[]): void {
  say();
  if (notifications.length === 0) {
    say(
      '  No notification: with notifyOn=failures only a change with a failed or timed-out rollout is sent.',
    );
    return;
  }
  for (const notification of notifications) {
    say('  The notification (SNS, what an e-mail subscriber receives):');
    say(`    Subject: ${notification.subject}`);
    const body = notification.body.split('\n');
    say(indent(body.slice(0, 6).join('\n'), '    '));
    if (body.length > 6) say(`    … (${body.length - 6} more lines of the same JSON)`);
  }
  say();
  sayIndented(
    'Fix what made the new tasks fail (the stopped task’s reason says why: `ResourceInitializationError: unable to pull secrets` points at the value or the task role), then redeploy that service. Its tasks still run the old value meanwhile.',
  );
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new DemoError(`the emulator's answer has no ${what}`);
  return value;
}
