/**
 * EventBridge event → the one normalised change it announces, or the named reason it changes nothing a
 * task would read. Anything else is refused with an InvalidEventError that says what was wrong.
 */
import { z } from 'zod';
import { CLOUDTRAIL_SECRET_EVENT_NAMES } from '../contract.ts';
import {
  normaliseParameterName,
  parameterArn,
  parameterNameProblem,
  parseItemArn,
  partitionOf,
  secretArn,
  splitSecretId,
} from './arn.ts';
import { InvalidEventError } from './errors.ts';
import type { Item } from './reference.ts';

/** Why an understood event leads to no redeploy. Shared by the report, the metrics and the CLI. */
export type IgnoreReason =
  /** Only AWSPENDING moved: rotation's createSecret step; the value is not live yet. */
  | 'pending-version-only'
  /** UpdateSecret without a new value (description, KMS key, tags...). */
  | 'metadata-only'
  /** RotateSecret, RotationStarted/Failed/Abandoned, TestRotation*: AWSCURRENT did not move. */
  | 'rotation-not-completed'
  /** UpdateSecretVersionStage that only removed a label from a version. */
  | 'label-removed'
  /** A CloudTrail record of a call that failed (errorCode set): nothing changed. */
  | 'api-call-failed'
  /** SSM Delete: new tasks could not start at all, redeploying would break them. */
  | 'parameter-deleted'
  /** SSM LabelParameterVersion: ECS always reads the latest version, never a label. */
  | 'parameter-label-changed'
  /** This new value was already handled: a duplicate delivery, or another announcement of one rotation. */
  | 'already-handled';

export interface Change {
  readonly kind: 'secretsmanager' | 'ssm';
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** Secrets Manager: the staging label that moved (AWSCURRENT when it did); null for SSM or when none moved. */
  readonly label: string | null;
  /** Every label that moved; empty for SSM, where every reference reads the latest version. */
  readonly movedLabels: readonly string[];
  readonly versionId: string | null;
  /** The event's name: the native detail-type or the CloudTrail eventName. */
  readonly trigger: string;
  readonly item: Item;
}

export interface ParsedEvent {
  readonly change: Change;
  readonly ignored: IgnoreReason | null;
  /** The EventBridge event id, when the event has one. */
  readonly eventId: string | null;
  /** When the change happened (the event's `time`), epoch milliseconds; null when the event has none. */
  readonly time: number | null;
}

const envelopeSchema = z.object({
  id: z.string().optional(),
  time: z.string().optional(),
  source: z.string(),
  'detail-type': z.string(),
  account: z.string().min(1),
  region: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});
type Envelope = z.infer<typeof envelopeSchema>;

const labelUpdatedSchema = z.object({
  name: z.string().min(1),
  labelUpdated: z.string().min(1),
  versionId: z.string().min(1).optional(),
});

const nullableRecord = z.record(z.string(), z.unknown()).nullish();
const cloudTrailSchema = z.object({
  eventName: z.string().min(1),
  errorCode: z.string().nullish(),
  awsRegion: z.string().optional(),
  recipientAccountId: z.string().optional(),
  requestParameters: nullableRecord,
  responseElements: nullableRecord,
  additionalEventData: nullableRecord,
  serviceEventDetails: nullableRecord,
});
type CloudTrailDetail = z.infer<typeof cloudTrailSchema>;

const parameterChangeSchema = z.object({
  operation: z.string().min(1),
  name: z.string().min(1),
});

const SECRETS_MANAGER_EVENTS = [
  'Secret Label Updated',
  'AWS API Call via CloudTrail',
  'AWS Service Event via CloudTrail',
] as const;
/** The CloudTrail events after which AWSCURRENT may point at a new value (the rules forward exactly these). */
const CLOUDTRAIL_VALUE_EVENTS: readonly string[] = CLOUDTRAIL_SECRET_EVENT_NAMES;
const CLOUDTRAIL_NOT_COMPLETED = [
  'RotateSecret',
  'RotationStarted',
  'RotationFailed',
  'RotationAbandoned',
  'CancelRotateSecret',
];
const CLOUDTRAIL_EVENTS = [...CLOUDTRAIL_VALUE_EVENTS, ...CLOUDTRAIL_NOT_COMPLETED, 'TestRotation*'];

function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
      return `${path || 'event'}: ${issue.message}`;
    })
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: string, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidEventError(`${what} is missing what it needs: ${describeIssues(result.error, prefix)}`);
  }
  return result.data;
}

/** Parses the JSON text of an event (a file, a CLI argument). */
export function parseEventJson(text: string): ParsedEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidEventError(`the event is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseEvent(value);
}

export function parseEvent(event: unknown): ParsedEvent {
  const envelope = parseWith(envelopeSchema, event, '', 'the EventBridge event');
  const time = envelope.time === undefined ? Number.NaN : Date.parse(envelope.time);
  return {
    ...parseKnownEvent(envelope),
    eventId: envelope.id ?? null,
    time: Number.isFinite(time) ? time : null,
  };
}

const KIND_NAMES: Record<Change['kind'], string> = {
  secretsmanager: 'Secrets Manager',
  ssm: 'SSM Parameter Store',
};

/** Parses an event for a function that handles one kind only: an event about the other kind is refused. */
export function parseEventOfKind(kind: Change['kind'], event: unknown): ParsedEvent {
  const parsed = parseEvent(event);
  if (parsed.change.kind !== kind) {
    throw new InvalidEventError(
      `this function handles ${KIND_NAMES[kind]} events, but the event is about ${KIND_NAMES[parsed.change.kind]} item ${parsed.change.arn}`,
    );
  }
  return parsed;
}

function parseKnownEvent(envelope: Envelope): Omit<ParsedEvent, 'eventId' | 'time'> {
  const detailType = envelope['detail-type'];
  if (envelope.source === 'aws.secretsmanager' && detailType === 'Secret Label Updated') {
    return fromLabelUpdated(envelope);
  }
  if (
    envelope.source === 'aws.secretsmanager' &&
    (detailType === 'AWS API Call via CloudTrail' || detailType === 'AWS Service Event via CloudTrail')
  ) {
    return fromCloudTrail(envelope);
  }
  if (envelope.source === 'aws.ssm' && detailType === 'Parameter Store Change') {
    return fromParameterChange(envelope);
  }
  throw new InvalidEventError(
    `unsupported event: source "${envelope.source}", detail-type "${detailType}". Supported: aws.secretsmanager ${SECRETS_MANAGER_EVENTS.map((t) => `"${t}"`).join(', ')}; aws.ssm "Parameter Store Change"`,
  );
}

/**
 * A change as a queued message reports it, whole again: what the worker needs to decide afresh for a service.
 * The moved labels travel beside it (a reported change keeps only the main one).
 */
export function changeOfReported(
  reported: Pick<Change, 'kind' | 'arn' | 'name' | 'label' | 'versionId' | 'trigger'>,
  movedLabels: readonly string[],
): Change {
  const fields = {
    label: reported.label,
    versionId: reported.versionId,
    trigger: reported.trigger,
  };
  if (reported.kind === 'secretsmanager')
    return secretChange(reported.arn, reported.name, { ...fields, movedLabels });
  const parsed = parseItemArn(reported.arn);
  if ('problem' in parsed || parsed.arn.kind !== 'ssm') {
    throw new InvalidEventError(`not an SSM parameter ARN: "${reported.arn}"`);
  }
  const { partition, region, account, name } = parsed.arn;
  return {
    kind: 'ssm',
    arn: reported.arn,
    name: reported.name,
    account,
    region,
    ...fields,
    movedLabels: [],
    item: { kind: 'ssm', partition, region, account, name },
  };
}

function secretChange(
  arn: string,
  knownName: string | undefined,
  fields: Pick<Change, 'label' | 'movedLabels' | 'versionId' | 'trigger'>,
): Change {
  const parsed = parseItemArn(arn);
  if ('problem' in parsed)
    throw new InvalidEventError(`not a Secrets Manager secret ARN: "${arn}": ${parsed.problem}`);
  if (parsed.arn.kind !== 'secretsmanager') {
    throw new InvalidEventError(`not a Secrets Manager secret ARN: "${arn}"`);
  }
  const { id, partition, region, account } = parsed.arn;
  const split = splitSecretId(id, knownName);
  return {
    kind: 'secretsmanager',
    arn,
    name: split.name,
    account,
    region,
    ...fields,
    item: { kind: 'secretsmanager', partition, region, account, ...split },
  };
}

function labelsMoved(labels: readonly string[]): Pick<Change, 'label' | 'movedLabels'> {
  // AWSPENDING is never read by a running service's default reference; it marks a value not yet live.
  const moved = labels.filter((label) => label !== 'AWSPENDING');
  return { label: moved.includes('AWSCURRENT') ? 'AWSCURRENT' : (moved[0] ?? null), movedLabels: moved };
}

function fromLabelUpdated(envelope: Envelope): Omit<ParsedEvent, 'eventId' | 'time'> {
  const detail = parseWith(labelUpdatedSchema, envelope.detail, 'detail', 'the Secret Label Updated event');
  const arn =
    envelope.resources[0] ??
    secretArn(partitionOf(envelope.region), envelope.region, envelope.account, detail.name);
  const moved = labelsMoved([detail.labelUpdated]);
  const change = secretChange(arn, detail.name, {
    ...moved,
    versionId: detail.versionId ?? null,
    trigger: 'Secret Label Updated',
  });
  return { change, ignored: moved.movedLabels.length === 0 ? 'pending-version-only' : null };
}

function stringField(record: Record<string, unknown> | null | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringArrayField(
  record: Record<string, unknown> | null | undefined,
  key: string,
): string[] | undefined {
  const value = record?.[key];
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? value : undefined;
}

/** The secret a CloudTrail record is about, best source first; `requestParameters.secretId` is whatever the caller passed. */
function cloudTrailSecretArn(envelope: Envelope, detail: CloudTrailDetail): string {
  const arn =
    stringField(detail.responseElements, 'arn') ??
    stringField(detail.responseElements, 'aRN') ??
    stringField(detail.additionalEventData, 'SecretId') ??
    stringField(detail.serviceEventDetails, 'secretId') ??
    stringField(detail.requestParameters, 'secretId');
  if (arn === undefined) {
    throw new InvalidEventError(
      `the ${detail.eventName} event names no secret: expected detail.responseElements.arn, detail.additionalEventData.SecretId, detail.serviceEventDetails.secretId or detail.requestParameters.secretId`,
    );
  }
  if (arn.startsWith('arn:')) return arn;
  // A name or partial id from the caller: the account and Region are the record's own.
  const region = detail.awsRegion ?? envelope.region;
  return secretArn(partitionOf(region), region, detail.recipientAccountId ?? envelope.account, arn);
}

function fromCloudTrail(envelope: Envelope): Omit<ParsedEvent, 'eventId' | 'time'> {
  const detail = parseWith(cloudTrailSchema, envelope.detail, 'detail', 'the CloudTrail event');
  const eventName = detail.eventName;
  const known = CLOUDTRAIL_VALUE_EVENTS.includes(eventName) || CLOUDTRAIL_NOT_COMPLETED.includes(eventName);
  if (!known && !eventName.startsWith('TestRotation')) {
    throw new InvalidEventError(
      `unsupported Secrets Manager CloudTrail event "${eventName}". Supported: ${CLOUDTRAIL_EVENTS.join(', ')}`,
    );
  }
  const arn = cloudTrailSecretArn(envelope, detail);
  const name = stringField(detail.responseElements, 'name');
  const make = (moved: Pick<Change, 'label' | 'movedLabels'>, versionId: string | null) =>
    secretChange(arn, name, { ...moved, versionId, trigger: eventName });
  const none = labelsMoved([]);
  const responseVersion = stringField(detail.responseElements, 'versionId') ?? null;

  if (detail.errorCode) return { change: make(none, null), ignored: 'api-call-failed' };
  switch (eventName) {
    case 'PutSecretValue': {
      // Without versionStages the new version becomes AWSCURRENT.
      const stages = stringArrayField(detail.requestParameters, 'versionStages') ?? ['AWSCURRENT'];
      const moved = labelsMoved(stages);
      return {
        change: make(moved, responseVersion),
        ignored: moved.movedLabels.length === 0 ? 'pending-version-only' : null,
      };
    }
    case 'UpdateSecret': {
      // Only an UpdateSecret that stored a value answers with a version id; CloudTrail also keeps the
      // (redacted) secretString/secretBinary key of such a request, which covers records without one.
      const carriedValue =
        responseVersion !== null ||
        detail.requestParameters?.secretString !== undefined ||
        detail.requestParameters?.secretBinary !== undefined;
      return !carriedValue
        ? { change: make(none, null), ignored: 'metadata-only' }
        : { change: make(labelsMoved(['AWSCURRENT']), responseVersion), ignored: null };
    }
    case 'UpdateSecretVersionStage': {
      const stage = stringField(detail.requestParameters, 'versionStage');
      const target = stringField(detail.requestParameters, 'moveToVersionId') ?? null;
      if (stage === undefined) {
        throw new InvalidEventError(
          'the UpdateSecretVersionStage event has no detail.requestParameters.versionStage',
        );
      }
      if (target === null) return { change: make(none, null), ignored: 'label-removed' };
      const moved = labelsMoved([stage]);
      return {
        change: make(moved, target),
        ignored: moved.movedLabels.length === 0 ? 'pending-version-only' : null,
      };
    }
    case 'RotationSucceeded':
      return { change: make(labelsMoved(['AWSCURRENT']), null), ignored: null };
    default:
      return { change: make(none, null), ignored: 'rotation-not-completed' };
  }
}

function fromParameterChange(envelope: Envelope): Omit<ParsedEvent, 'eventId' | 'time'> {
  const detail = parseWith(
    parameterChangeSchema,
    envelope.detail,
    'detail',
    'the Parameter Store Change event',
  );
  const nameProblem = parameterNameProblem(detail.name);
  if (nameProblem !== null) {
    throw new InvalidEventError(`detail.name "${detail.name}" is no parameter name: ${nameProblem}`);
  }
  const name = normaliseParameterName(detail.name);
  // The bus an event was forwarded to is not where the parameter lives: the ARN says, when there is one.
  const resource = envelope.resources[0];
  const parsed = parseItemArn(
    resource ?? parameterArn(partitionOf(envelope.region), envelope.region, envelope.account, name),
  );
  if ('problem' in parsed || parsed.arn.kind !== 'ssm') {
    const problem = 'problem' in parsed ? `: ${parsed.problem}` : '';
    throw new InvalidEventError(
      resource === undefined
        ? `the event's account and Region name no parameter${problem}`
        : `resources[0] is not an SSM parameter ARN: "${resource}"${problem}`,
    );
  }
  if (parsed.arn.name !== name) {
    throw new InvalidEventError(
      `resources[0] names parameter "${parsed.arn.name}" but detail.name is "${detail.name}"`,
    );
  }
  const { partition, region, account } = parsed.arn;
  const change: Change = {
    kind: 'ssm',
    arn: parameterArn(partition, region, account, name),
    name: detail.name,
    account,
    region,
    label: null,
    movedLabels: [],
    versionId: null,
    trigger: 'Parameter Store Change',
    item: { kind: 'ssm', partition, region, account, name },
  };
  switch (detail.operation) {
    case 'Create':
    case 'Update':
      return { change, ignored: null };
    case 'Delete':
      return { change, ignored: 'parameter-deleted' };
    case 'LabelParameterVersion':
      return { change, ignored: 'parameter-label-changed' };
    default:
      throw new InvalidEventError(
        `unsupported Parameter Store Change operation "${detail.operation}": expected Create, Update, Delete or LabelParameterVersion`,
      );
  }
}
