/**
 * The steps where something changes: a secret rotates in two halves, EventBridge delivers an event twice,
 * a parameter is overwritten. Each writes with the real API, then hands a change function the event AWS
 * would send, and prints the function's report.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { renderReport } from '../../functions/cli/render.ts';
import { IGNORE_REASON_EXPLAINED } from '../../functions/core/reason-texts.ts';
import type { Report } from '../../functions/core/report.ts';
import { type Demo, SECRET_MARKER } from './demo.ts';
import {
  cloudTrailPutSecretValue,
  type DemoEvent,
  parameterStoreChange,
  secretLabelUpdated,
} from './events.ts';
import { sayWarnings } from './function-logs.ts';
import type { Invocation } from './lambda-runtime.ts';
import { indent, type StepText, say, sayIndented } from './output.ts';
import type { Changed, StepRecord } from './verdict.ts';

export type ChangeRecord = Extract<StepRecord, { kind: 'change' }>;

/** A secret value as a rotation would write it: never printed, never logged. */
export const newSecretValue = (): string =>
  JSON.stringify({ username: 'app', password: `${SECRET_MARKER}${randomBytes(12).toString('hex')}` });

/** Prints the event, invokes the function, prints its report and why an ignored event was ignored. */
async function deliver(
  step: StepText,
  item: Changed,
  event: DemoEvent,
  invoke: (event: DemoEvent) => Promise<Invocation<Report>>,
): Promise<ChangeRecord> {
  say();
  say(`  Event (${event['detail-type']}): detail ${JSON.stringify(event.detail)}`);
  say();
  const { result, lines } = await invoke(event);
  say(indent(renderReport(result)));
  sayWarnings(lines);
  if (result.ignored !== null) {
    say();
    sayIndented(`Why: ${IGNORE_REASON_EXPLAINED[result.ignored]}`);
  }
  return {
    kind: 'change',
    title: step.title,
    item,
    event: event['detail-type'],
    ignored: result.ignored,
    services: result.services.map((service) => ({
      name: service.serviceName,
      serviceArn: service.serviceArn,
      action: service.action,
      reason: service.reason,
    })),
  };
}

const ROTATION_STARTS: StepText = {
  title: 'Rotation starts: a new value is written as AWSPENDING',
  inAws:
    'the rotation function’s createSecret step calls PutSecretValue with VersionStages [AWSPENDING]. Secrets Manager sends no "Secret Label Updated" for AWSPENDING, but with the CloudTrail fallback rule on, CloudTrail’s record of the call reaches the secret-changed function.',
  here: 'PutSecretValue on the emulator, then dist/secret-changed is called with the CloudTrail event AWS would send.',
};

export async function rotationStarts(demo: Demo): Promise<{ record: ChangeRecord; versionId: string }> {
  demo.headings.announce(ROTATION_STARTS);
  const pending = await demo.clients.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: demo.names.secret,
      SecretString: newSecretValue(),
      VersionStages: ['AWSPENDING'],
      ClientRequestToken: randomUUID(),
    }),
  );
  const versionId = pending.VersionId ?? '';
  const event = cloudTrailPutSecretValue(demo.account, demo.names, ['AWSPENDING'], versionId);
  const record = await deliver(ROTATION_STARTS, 'secret', event, demo.functions.secretChanged);
  return { record, versionId };
}

const ROTATION_FINISHES: StepText = {
  title: 'Rotation finishes: AWSCURRENT moves to the new value',
  inAws:
    'the rotation function’s finishSecret step calls UpdateSecretVersionStage; AWSCURRENT moves to the new version (and AWSPREVIOUS to the old one), and Secrets Manager sends "Secret Label Updated" for AWSCURRENT. Every service whose tasks read the secret is queued for a new deployment, one message each; the others are skipped with a reason.',
  here: 'UpdateSecretVersionStage on the emulator, then dist/secret-changed with the event.',
};

export async function rotationFinishes(
  demo: Demo,
  versionId: string,
): Promise<{ record: ChangeRecord; event: DemoEvent }> {
  demo.headings.announce(ROTATION_FINISHES);
  await demo.clients.secretsManager.send(
    new UpdateSecretVersionStageCommand({
      SecretId: demo.names.secret,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: versionId,
      RemoveFromVersionId: demo.account.refs.firstVersionId,
    }),
  );
  const event = secretLabelUpdated(demo.account, demo.names, 'AWSCURRENT', versionId);
  const record = await deliver(ROTATION_FINISHES, 'secret', event, demo.functions.secretChanged);
  return { record, event };
}

const SAME_EVENT_AGAIN: StepText = {
  title: 'EventBridge delivers the same event again',
  inAws:
    'EventBridge delivers at least once, and retries a target that failed: the same event can arrive twice.',
  here: 'the very same event is handed to dist/secret-changed a second time.',
};

export async function sameEventAgain(demo: Demo, event: DemoEvent): Promise<ChangeRecord> {
  demo.headings.announce(SAME_EVENT_AGAIN);
  return deliver(SAME_EVENT_AGAIN, 'secret', event, demo.functions.secretChanged);
}

const PARAMETER_CHANGES: StepText = {
  title: 'A parameter changes',
  inAws:
    'someone runs PutParameter --overwrite; SSM sends EventBridge a "Parameter Store Change" event (operation Update), and the rule invokes the parameter-changed function. ECS reads the newest version when a task starts, so every service that reads it is queued.',
  here: 'PutParameter on the emulator, then dist/parameter-changed with the event.',
};

/** `secret`: the step that queued the services reading the secret, to tell which now wait for both. */
export async function parameterChanges(demo: Demo, secret: ChangeRecord): Promise<ChangeRecord> {
  demo.headings.announce(PARAMETER_CHANGES);
  await demo.clients.ssm.send(
    new PutParameterCommand({
      Name: demo.names.parameter,
      Value: 'https://api.internal.example/v2',
      Type: 'String',
      Overwrite: true,
    }),
  );
  const event = parameterStoreChange(demo.account, demo.names);
  const record = await deliver(PARAMETER_CHANGES, 'parameter', event, demo.functions.parameterChanged);
  const waitingForSecret = new Set(queued(secret));
  for (const name of queued(record).filter((service) => waitingForSecret.has(service))) {
    say();
    sayIndented(
      `${name} reads both the secret and the parameter: it now has two messages waiting, and the state table records both changes as pending for it.`,
    );
  }
  return record;
}

const queued = (record: ChangeRecord): string[] =>
  record.services.filter((service) => service.action === 'queued').map((service) => service.name);
