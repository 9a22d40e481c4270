import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent, parseEventJson } from '../../functions/core/change.ts';
import { InvalidEventError } from '../../functions/core/errors.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const PARAMETER_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url';

const fixtureText = (file: string) => readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8');
/** A fresh copy of a fixture, so a test can change it without touching the others. */
// biome-ignore lint/suspicious/noExplicitAny: tests edit the sample events' JSON freely, field by field.
type Json = any;
const fixture = (file: string) => JSON.parse(fixtureText(file)) as Record<string, Json>;

describe('parseEvent on the events/ samples', () => {
  it.each([
    // file, kind, ignored, label, movedLabels, trigger
    [
      'secretsmanager-label-updated.json',
      'secretsmanager',
      null,
      'AWSCURRENT',
      ['AWSCURRENT'],
      'Secret Label Updated',
    ],
    [
      'secretsmanager-label-updated-custom-label.json',
      'secretsmanager',
      null,
      'BLUE',
      ['BLUE'],
      'Secret Label Updated',
    ],
    [
      'cloudtrail-put-secret-value.json',
      'secretsmanager',
      null,
      'AWSCURRENT',
      ['AWSCURRENT'],
      'PutSecretValue',
    ],
    [
      'cloudtrail-put-secret-value-pending.json',
      'secretsmanager',
      'pending-version-only',
      null,
      [],
      'PutSecretValue',
    ],
    [
      'cloudtrail-update-secret-value.json',
      'secretsmanager',
      null,
      'AWSCURRENT',
      ['AWSCURRENT'],
      'UpdateSecret',
    ],
    ['cloudtrail-update-secret-metadata.json', 'secretsmanager', 'metadata-only', null, [], 'UpdateSecret'],
    [
      'cloudtrail-update-secret-version-stage.json',
      'secretsmanager',
      null,
      'AWSCURRENT',
      ['AWSCURRENT'],
      'UpdateSecretVersionStage',
    ],
    [
      'cloudtrail-update-secret-version-stage-legacy-arn.json',
      'secretsmanager',
      null,
      'AWSCURRENT',
      ['AWSCURRENT'],
      'UpdateSecretVersionStage',
    ],
    [
      'cloudtrail-rotation-succeeded.json',
      'secretsmanager',
      null,
      'AWSCURRENT',
      ['AWSCURRENT'],
      'RotationSucceeded',
    ],
    [
      'cloudtrail-rotation-failed.json',
      'secretsmanager',
      'rotation-not-completed',
      null,
      [],
      'RotationFailed',
    ],
    ['cloudtrail-rotate-secret.json', 'secretsmanager', 'rotation-not-completed', null, [], 'RotateSecret'],
    ['ssm-parameter-create.json', 'ssm', null, null, [], 'Parameter Store Change'],
    ['ssm-parameter-update.json', 'ssm', null, null, [], 'Parameter Store Change'],
    ['ssm-parameter-update-plain-name.json', 'ssm', null, null, [], 'Parameter Store Change'],
    ['ssm-parameter-delete.json', 'ssm', 'parameter-deleted', null, [], 'Parameter Store Change'],
    [
      'ssm-parameter-label-version.json',
      'ssm',
      'parameter-label-changed',
      null,
      [],
      'Parameter Store Change',
    ],
  ])('reads %s', (file, kind, ignored, label, movedLabels, trigger) => {
    const { change, ignored: reason } = parseEventJson(fixtureText(file));
    expect(reason).toBe(ignored);
    expect(change).toMatchObject({
      kind,
      label,
      movedLabels,
      trigger,
      account: '123456789012',
      region: 'us-east-1',
    });
  });

  it.each([
    'secretsmanager-label-updated.json',
    'cloudtrail-put-secret-value.json',
    'cloudtrail-update-secret-version-stage-legacy-arn.json',
    'cloudtrail-rotation-succeeded.json',
  ])('takes the full ARN and the name without suffix from %s', (file) => {
    const { change } = parseEvent(fixture(file));
    expect(change.arn).toBe(ARN);
    expect(change.name).toBe('prod/db-password');
    expect(change.item).toMatchObject({ name: 'prod/db-password', suffix: 'AbCdEf' });
  });

  it('takes the version AWSCURRENT moved to from UpdateSecretVersionStage', () => {
    const event = fixture('cloudtrail-update-secret-version-stage.json');
    const { change } = parseEvent(event);
    expect(change.versionId).toBe(event.detail.requestParameters.moveToVersionId);
  });

  it('reads the parameter ARN and name of a plain and a hierarchical parameter', () => {
    expect(parseEvent(fixture('ssm-parameter-update.json')).change).toMatchObject({
      arn: PARAMETER_ARN,
      name: '/prod/api/url',
      item: { kind: 'ssm', name: 'prod/api/url' },
    });
    expect(parseEvent(fixture('ssm-parameter-update-plain-name.json')).change).toMatchObject({
      arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/FEATURE_FLAGS',
      item: { name: 'FEATURE_FLAGS' },
    });
  });
});

describe('parseEvent on variants', () => {
  it('takes account and Region from the ARN, not from the bus the event was forwarded to', () => {
    const event = fixture('secretsmanager-label-updated.json');
    event.account = '999999999999';
    event.region = 'eu-west-1';
    event.resources = ['arn:aws:secretsmanager:ap-south-1:111111111111:secret:shared-XyZ123'];
    event.detail.name = 'shared';

    const { change } = parseEvent(event);

    expect(change).toMatchObject({ account: '111111111111', region: 'ap-south-1', name: 'shared' });
    expect(change.item).toMatchObject({ account: '111111111111', region: 'ap-south-1', suffix: 'XyZ123' });
  });

  it('keeps a secret name that itself ends like a suffix when the event says it is the name', () => {
    const event = fixture('secretsmanager-label-updated.json');
    event.resources = ['arn:aws:secretsmanager:us-east-1:123456789012:secret:app-db-prod12-AbCdEf'];
    event.detail.name = 'app-db-prod12';
    expect(parseEvent(event).change.item).toMatchObject({ name: 'app-db-prod12', suffix: 'AbCdEf' });
  });

  it.each([
    ['the response ARN', (d: Json) => d, ARN],
    ['the legacy aRN key', (d: Json) => ({ ...d, responseElements: { aRN: ARN } }), ARN],
    [
      'serviceEventDetails.secretId',
      (d: Json) => ({ ...d, responseElements: null, serviceEventDetails: { secretId: ARN } }),
      ARN,
    ],
    [
      'the caller’s secretId as a last resort, completed with the record’s account and Region',
      (d: Json) => ({ ...d, responseElements: null, requestParameters: { secretId: 'prod/db-password' } }),
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password',
    ],
  ])('finds the secret in %s', (_, edit, expected) => {
    const event = fixture('cloudtrail-put-secret-value.json');
    event.detail = edit(event.detail);
    expect(parseEvent(event).change.arn).toBe(expected);
  });

  it('matches any suffix of the name when only the caller’s name is known', () => {
    const event = fixture('cloudtrail-put-secret-value.json');
    event.detail.responseElements = null;
    event.detail.requestParameters = { secretId: 'prod/db-password' };
    expect(parseEvent(event).change.item).toMatchObject({ name: 'prod/db-password', suffix: null });
  });

  it.each([
    [['AWSCURRENT'], null, 'AWSCURRENT'],
    [['AWSCURRENT', 'AWSPENDING'], null, 'AWSCURRENT'],
    [['AWSPENDING'], 'pending-version-only', null],
    [['BLUE'], null, 'BLUE'],
  ])('reads PutSecretValue with versionStages %o', (stages, ignored, label) => {
    const event = fixture('cloudtrail-put-secret-value.json');
    event.detail.requestParameters.versionStages = stages;
    const parsed = parseEvent(event);
    expect(parsed.ignored).toBe(ignored);
    expect(parsed.change.label).toBe(label);
  });

  it.each([
    ['AWSCURRENT', 'v-new', null, ['AWSCURRENT']],
    ['AWSPREVIOUS', 'v-new', null, ['AWSPREVIOUS']],
    ['BLUE', 'v-new', null, ['BLUE']],
    ['AWSPENDING', 'v-new', 'pending-version-only', []],
    ['BLUE', undefined, 'label-removed', []],
  ])('reads UpdateSecretVersionStage of %s to %s', (stage, moveTo, ignored, moved) => {
    const event = fixture('cloudtrail-update-secret-version-stage.json');
    event.detail.requestParameters = {
      secretId: ARN,
      versionStage: stage,
      ...(moveTo ? { moveToVersionId: moveTo } : {}),
    };
    const parsed = parseEvent(event);
    expect(parsed.ignored).toBe(ignored);
    expect(parsed.change.movedLabels).toEqual(moved);
  });

  it('reads an UpdateSecret whose request carried a (redacted) value as a value change', () => {
    const event = fixture('cloudtrail-update-secret-metadata.json');
    event.detail.requestParameters.secretString = 'HIDDEN_DUE_TO_SECURITY_REASONS';
    expect(parseEvent(event).ignored).toBeNull();
  });

  it('ignores the record of a call that failed', () => {
    const event = fixture('cloudtrail-put-secret-value.json');
    event.detail.errorCode = 'AccessDenied';
    expect(parseEvent(event).ignored).toBe('api-call-failed');
  });

  it.each(['RotationStarted', 'RotationAbandoned', 'TestRotationSucceeded'])(
    'ignores %s: AWSCURRENT did not move',
    (name) => {
      const event = fixture('cloudtrail-rotation-failed.json');
      event.detail.eventName = name;
      expect(parseEvent(event).ignored).toBe('rotation-not-completed');
    },
  );

  it('ignores a Secret Label Updated for AWSPENDING', () => {
    const event = fixture('secretsmanager-label-updated.json');
    event.detail.labelUpdated = 'AWSPENDING';
    expect(parseEvent(event).ignored).toBe('pending-version-only');
  });
});

describe('refused events', () => {
  const refused = (build: () => unknown, message: string | RegExp) => {
    expect(build).toThrow(InvalidEventError);
    expect(build).toThrow(message);
  };

  it('refuses text that is not JSON', () => {
    refused(() => parseEventJson(fixtureText('not-json.txt')), 'the event is not valid JSON');
  });

  it('refuses an event of a kind it does not support, naming the kinds it does', () => {
    refused(
      () => parseEventJson(fixtureText('ecs-deployment-completed.json')),
      /unsupported event: source "aws.ecs".*Supported/,
    );
  });

  it.each([
    [
      'no detail-type',
      () => ({ ...fixture('ssm-parameter-update.json'), 'detail-type': undefined }),
      'detail-type',
    ],
    ['no detail', () => ({ ...fixture('ssm-parameter-update.json'), detail: undefined }), 'detail'],
    ['no account', () => ({ ...fixture('ssm-parameter-update.json'), account: undefined }), 'account'],
    ['a JSON array', () => [], 'event'],
  ])('refuses an event with %s, naming what is missing', (_, build, field) => {
    refused(() => parseEvent(build()), field);
  });

  it.each([
    ['secretsmanager-label-updated.json', (d: Json) => delete d.labelUpdated, 'detail.labelUpdated'],
    ['ssm-parameter-update.json', (d: Json) => delete d.name, 'detail.name'],
    ['ssm-parameter-update.json', (d: Json) => delete d.operation, 'detail.operation'],
    ['cloudtrail-put-secret-value.json', (d: Json) => delete d.eventName, 'detail.eventName'],
  ])('refuses %s without a field its kind needs, naming it', (file, edit, field) => {
    const event = fixture(file);
    edit(event.detail);
    refused(() => parseEvent(event), field);
  });

  it('refuses a CloudTrail record that names no secret', () => {
    const event = fixture('cloudtrail-rotation-succeeded.json');
    event.detail.additionalEventData = {};
    refused(() => parseEvent(event), 'names no secret');
  });

  it('refuses a Secrets Manager CloudTrail call it does not handle', () => {
    const event = fixture('cloudtrail-put-secret-value.json');
    event.detail.eventName = 'DeleteSecret';
    refused(() => parseEvent(event), 'unsupported Secrets Manager CloudTrail event "DeleteSecret"');
  });

  it('refuses an unknown Parameter Store operation', () => {
    const event = fixture('ssm-parameter-update.json');
    event.detail.operation = 'Rename';
    refused(() => parseEvent(event), 'unsupported Parameter Store Change operation "Rename"');
  });

  it('refuses a resource that is not a secret', () => {
    const event = fixture('secretsmanager-label-updated.json');
    event.resources = ['arn:aws:s3:::bucket'];
    refused(() => parseEvent(event), 'not a Secrets Manager secret ARN');
  });
});

describe('parseEvent refuses names AWS would never accept', () => {
  const ESC = '\u001b';
  const SECRET_PREFIX = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:';
  const refusedAs = (event: Json, message: RegExp) => {
    expect(() => parseEvent(event)).toThrow(InvalidEventError);
    expect(() => parseEvent(event)).toThrow(message);
  };
  const labelUpdated = (arn: string, name = 'prod/db-password') => {
    const event = fixture('secretsmanager-label-updated.json');
    event.resources = [arn];
    event.detail.name = name;
    return event;
  };
  const parameterChange = (name: string, resource?: string) => {
    const event = fixture('ssm-parameter-update.json');
    event.detail.name = name;
    event.resources = resource === undefined ? [] : [resource];
    return event;
  };

  it.each([
    ['an ANSI escape in the secret ARN', `${SECRET_PREFIX}prod/db${ESC}[2K-AbCdEf`],
    ['a carriage return in the secret ARN', `${SECRET_PREFIX}prod/db\r-AbCdEf`],
    ['a space in the secret name', `${SECRET_PREFIX}prod db-AbCdEf`],
    ['a star for a secret name', `${SECRET_PREFIX}*`],
    ['a secret ARN with extra colons', `${SECRET_PREFIX}prod/db-AbCdEf:password::`],
    ['a secret ARN with no account', 'arn:aws:secretsmanager:us-east-1::secret:prod/db-AbCdEf'],
    [
      'a secret ARN whose Region is not one',
      'arn:aws:secretsmanager:us-east-1\n:123456789012:secret:prod/db',
    ],
  ])('refuses a Secret Label Updated with %s', (_, arn) => {
    refusedAs(labelUpdated(arn), /not a Secrets Manager secret ARN/);
  });

  it('refuses a Secret Label Updated without resources whose detail.name no secret could have', () => {
    const event = labelUpdated('', `prod/db${ESC}]0;owned${ESC}\\`);
    event.resources = [];

    refusedAs(event, /secret name is 1 to 512 ASCII letters, digits and the characters \/_\+=\.@-/);
  });

  it('refuses a CloudTrail record whose secretId no secret could have', () => {
    const event = fixture('cloudtrail-rotation-succeeded.json');
    event.detail.additionalEventData = { SecretId: `prod/db\u202e` };

    refusedAs(event, /not a Secrets Manager secret ARN/);
  });

  it.each([
    ['an ANSI escape', `/prod/api${ESC}[31m/url`],
    ['a space', '/prod/api url'],
    ['a star', '*'],
    ['a slash alone', '/'],
    ['two slashes', '//'],
    ['an empty level', '/prod//url'],
    ['a trailing slash', '/prod/api/'],
    ['a character Parameter Store refuses', '/prod/api+url'],
    ['sixteen levels', `/${Array.from({ length: 16 }, (_, index) => `l${index}`).join('/')}`],
  ])('refuses a Parameter Store Change whose name has %s, saying what a name may hold', (_, name) => {
    refusedAs(parameterChange(name), /detail\.name .* is no parameter name: a parameter/);
  });

  it('refuses a Parameter Store Change whose resource names another parameter than detail.name', () => {
    const event = parameterChange('/prod/api/url', 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/other');

    refusedAs(event, /names parameter "prod\/other" but detail\.name is "\/prod\/api\/url"/);
  });

  it('refuses a Parameter Store Change whose resource is a parameter ARN with extra colons', () => {
    const event = parameterChange(
      '/prod/api/url',
      'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url:3',
    );

    refusedAs(event, /resources\[0\] is not an SSM parameter ARN/);
  });

  it.each([
    ['the longest secret name', `${SECRET_PREFIX}${'a'.repeat(512)}-AbCdEf`, 'a'.repeat(512)],
    ['every character a secret name may hold', `${SECRET_PREFIX}a/b_c+d=e.f@g-h-AbCdEf`, 'a/b_c+d=e.f@g-h'],
  ])('accepts %s', (_, arn, name) => {
    expect(parseEvent(labelUpdated(arn, name)).change.name).toBe(name);
  });

  it.each([
    ['a plain name', 'FEATURE_FLAGS'],
    ['every character a parameter name may hold', '/a-b/c_d/e.f/G9'],
    ['fifteen levels', `/${Array.from({ length: 15 }, (_, index) => `l${index}`).join('/')}`],
  ])('accepts a parameter with %s', (_, name) => {
    expect(parseEvent(parameterChange(name)).change.name).toBe(name);
  });
});
