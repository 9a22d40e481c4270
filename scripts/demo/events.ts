/**
 * The events the demo delivers: the real-shape samples in events/, re-addressed to the seeded account and
 * its secret and parameter, each a fresh delivery (new id, now), as EventBridge would hand them over.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoNames, SeededAccount } from '../demo-account.ts';

const EVENTS = fileURLToPath(new URL('../../events', import.meta.url));

/** An EventBridge event as the demo prints it: its detail-type and detail. */
export interface DemoEvent {
  readonly 'detail-type': string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

function sample(file: string): DemoEvent {
  return JSON.parse(readFileSync(path.join(EVENTS, file), 'utf8')) as DemoEvent;
}

const eventTime = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function delivered(file: string, account: SeededAccount): DemoEvent {
  return {
    ...sample(file),
    id: randomUUID(),
    time: eventTime(),
    account: account.account,
    region: account.region,
  };
}

/** The native `Secret Label Updated` event Secrets Manager sends EventBridge when a label moves. */
export function secretLabelUpdated(
  account: SeededAccount,
  names: DemoNames,
  label: string,
  versionId: string,
): DemoEvent {
  return {
    ...delivered('secretsmanager-label-updated.json', account),
    resources: [account.refs.secretArn],
    detail: { name: names.secret, labelUpdated: label, versionId },
  };
}

/** The CloudTrail record of a PutSecretValue (the stack's CloudTrail fallback rule delivers it). */
export function cloudTrailPutSecretValue(
  account: SeededAccount,
  names: DemoNames,
  stages: readonly string[],
  versionId: string,
): DemoEvent {
  const event = delivered('cloudtrail-put-secret-value-pending.json', account);
  return {
    ...event,
    detail: {
      ...event.detail,
      awsRegion: account.region,
      recipientAccountId: account.account,
      requestParameters: {
        ...(event.detail.requestParameters as object),
        secretId: names.secret,
        versionStages: stages,
      },
      responseElements: { arn: account.refs.secretArn, name: names.secret, versionId, versionStages: stages },
    },
  };
}

/** The `Parameter Store Change` event SSM sends EventBridge on PutParameter. */
export function parameterStoreChange(account: SeededAccount, names: DemoNames): DemoEvent {
  const event = delivered('ssm-parameter-update.json', account);
  return {
    ...event,
    resources: [account.refs.parameterArn],
    detail: {
      ...event.detail,
      operation: 'Update',
      name: names.parameter,
      description: 'Base URL of the API',
    },
  };
}
