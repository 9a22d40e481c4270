import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../functions/core/change.ts';
import { changeKey } from '../../functions/core/change-key.ts';
import { type Reference, referencesOf } from '../../functions/core/reference.ts';
import {
  type AuditedService,
  answerByName,
  auditService,
  describedParameterName,
  type ItemQuery,
  type MetadataAnswer,
  type MoveRecord,
  moveKey,
  moveSeen,
  queryKey,
  queryOf,
  valueAgeOf,
} from '../../functions/core/staleness.ts';

const ACCOUNT = '123456789012';
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
const PARTIAL = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db`;
const PARAMETER = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/prod/url`;
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/app:1`;

const at = (iso: string) => Date.parse(iso);

/** The first reference of a task definition with one container reading `valueFrom`. */
function reference(valueFrom: string) {
  const { references } = referencesOf({
    taskDefinitionArn: TD,
    containerDefinitions: [{ name: 'app', secrets: [{ valueFrom }] }],
  });
  const [first] = references;
  if (first === undefined) throw new Error(`${valueFrom} is no reference`);
  return first;
}

/** AWSCURRENT on v-2 (created 10:00), AWSPREVIOUS on v-1 (created 09:00), BLUE on v-1. */
const secretAnswer: MetadataAnswer = {
  ok: {
    kind: 'secretsmanager',
    arn: SECRET,
    name: 'prod/db',
    versions: [
      { versionId: 'v-1', stages: ['AWSPREVIOUS', 'BLUE'], createdAt: at('2025-01-01T09:00:00Z') },
      { versionId: 'v-2', stages: ['AWSCURRENT'], createdAt: at('2025-01-01T10:00:00Z') },
    ],
  },
};
const parameterAnswer: MetadataAnswer = {
  ok: {
    kind: 'ssm',
    arn: PARAMETER,
    name: '/prod/url',
    version: '3',
    lastModifiedAt: at('2025-01-01T11:00:00Z'),
  },
};
const none = new Map<string, MoveRecord>();

describe('valueAgeOf', () => {
  it.each([
    ['no stage (AWSCURRENT)', SECRET, 'AWSCURRENT', 'v-2', '2025-01-01T10:00:00Z'],
    ['a partial ARN', `${PARTIAL}:password::`, 'AWSCURRENT', 'v-2', '2025-01-01T10:00:00Z'],
    [
      'AWSPREVIOUS: when AWSCURRENT last moved',
      `${PARTIAL}::AWSPREVIOUS:`,
      'AWSCURRENT',
      'v-2',
      '2025-01-01T10:00:00Z',
    ],
    ['a custom label: its own version', `${PARTIAL}::BLUE:`, 'BLUE', 'v-1', '2025-01-01T09:00:00Z'],
  ])(
    'dates a secret reference that follows %s by the creation of the version its label points to',
    (_, valueFrom, label, version, iso) => {
      const age = valueAgeOf(reference(valueFrom), secretAnswer, none);

      expect(age).toEqual({
        state: 'known',
        item: { kind: 'secretsmanager', arn: SECRET, name: 'prod/db' },
        label,
        version,
        changedAt: at(iso),
        exact: false,
        changeKey: `${SECRET}|${label}|${version}`,
      });
    },
  );

  it('never dates a reference pinned to a version id: that value cannot change', () => {
    expect(valueAgeOf(reference(`${PARTIAL}:::v-1`), undefined, none)).toEqual({ state: 'pinned' });
  });

  it('prefers the move time an event reported for the version the label points to now', () => {
    const record: MoveRecord = {
      key: moveKey({ kind: 'secretsmanager', arn: SECRET }, 'AWSCURRENT'),
      version: 'v-2',
      at: at('2025-01-01T10:30:00Z'),
      changeKey: `${SECRET}|AWSCURRENT|v-2`,
    };

    const age = valueAgeOf(reference(SECRET), secretAnswer, new Map([[record.key, record]]));

    expect(age).toMatchObject({ state: 'known', changedAt: at('2025-01-01T10:30:00Z'), exact: true });
  });

  it('ignores a reported move to a version the label has left since', () => {
    const record: MoveRecord = {
      key: moveKey({ kind: 'secretsmanager', arn: SECRET }, 'AWSCURRENT'),
      version: 'v-1',
      at: at('2025-01-01T09:30:00Z'),
      changeKey: `${SECRET}|AWSCURRENT|v-1`,
    };

    const age = valueAgeOf(reference(SECRET), secretAnswer, new Map([[record.key, record]]));

    expect(age).toMatchObject({ changedAt: at('2025-01-01T10:00:00Z'), exact: false, version: 'v-2' });
  });

  it('dates a parameter by its last write, keyed as the event path keys it', () => {
    const age = valueAgeOf(reference('/prod/url'), parameterAnswer, none);

    expect(age).toEqual({
      state: 'known',
      item: { kind: 'ssm', arn: PARAMETER, name: '/prod/url' },
      label: null,
      version: '3',
      changedAt: at('2025-01-01T11:00:00Z'),
      exact: true,
      changeKey: `${PARAMETER}|3`,
    });
  });

  it('dates a parameter it cannot describe by the last write an event reported, with that event path key', () => {
    const record: MoveRecord = {
      key: moveKey({ kind: 'ssm', arn: PARAMETER }, null),
      version: null,
      at: at('2025-01-01T12:00:00Z'),
      changeKey: `${PARAMETER}|event:e-1`,
    };
    const denied = { error: 'AccessDeniedException: not yours' };

    const age = valueAgeOf(reference(PARAMETER), denied, new Map([[record.key, record]]));

    expect(age).toMatchObject({ state: 'known', changedAt: record.at, changeKey: record.changeKey });
  });

  it.each([
    [
      'the metadata read failed',
      { error: 'ResourceNotFoundException: gone' },
      'ResourceNotFoundException: gone',
    ],
    [
      'no version has the label',
      { ok: { kind: 'secretsmanager' as const, arn: SECRET, name: 'prod/db', versions: [] } },
      `no version of ${SECRET} has the label AWSCURRENT`,
    ],
  ])('says why a secret cannot be dated when %s', (_, answer, reason) => {
    expect(valueAgeOf(reference(SECRET), answer, none)).toEqual({ state: 'unknown', reason });
  });

  it('keys a value as the event path keys the change that made it current', () => {
    const event = parseEvent({
      source: 'aws.secretsmanager',
      'detail-type': 'Secret Label Updated',
      account: ACCOUNT,
      region: 'us-east-1',
      resources: [SECRET],
      detail: { name: 'prod/db', labelUpdated: 'AWSCURRENT', versionId: 'v-2' },
    });

    const age = valueAgeOf(reference(`${PARTIAL}::AWSPREVIOUS:`), secretAnswer, none);

    expect(age.state === 'known' && age.changeKey).toBe(changeKey(event.change, 'v-2', 'unused'));
  });
});

describe('queries', () => {
  it('asks once for references that name one item the same way, and apart for other forms', () => {
    const keys = [SECRET, `${SECRET}:password::`, PARTIAL, '/prod/url', 'prod/url', PARAMETER].map(
      (valueFrom) => queryKey(queryOf(reference(valueFrom))),
    );

    expect(new Set(keys).size).toBe(3);
  });

  it('answers a partial secret id from the full id of the same name already read, and nothing else', () => {
    const full = queryOf(reference(SECRET));
    const partial = queryOf(reference(PARTIAL));
    const admin = queryOf(reference(`${PARTIAL}-admin`));
    const answered: [ItemQuery, MetadataAnswer][] = [[full, secretAnswer]];

    expect(answerByName(partial, answered)).toBe(secretAnswer);
    expect(answerByName(admin, answered)).toBeUndefined();
    expect(answerByName(full, answered)).toBeUndefined();
  });

  it.each([
    ['prod/url', '/prod/url'],
    ['/prod/url', '/prod/url'],
    ['plain', 'plain'],
    ['/plain', 'plain'],
  ])('describes parameter %s by the name SSM keeps, %s', (name, described) => {
    expect(describedParameterName(name)).toBe(described);
  });
});

describe('auditService', () => {
  const deployed = (iso: string | null, overrides: Partial<AuditedService> = {}): AuditedService => ({
    desiredCount: 2,
    deploymentController: 'ECS',
    tags: {},
    deployedAt: iso === null ? null : at(iso),
    ...overrides,
  });
  const ages = (read: Reference) =>
    valueAgeOf(read, read.kind === 'ssm' ? parameterAnswer : secretAnswer, none);

  it('finds a service stale when its newest deployment predates a value it reads', () => {
    const verdict = auditService(deployed('2025-01-01T09:30:00Z'), [reference(SECRET)], ages);

    expect(verdict).toMatchObject({
      verdict: 'stale',
      skip: null,
      stale: [
        {
          item: { arn: SECRET, name: 'prod/db', kind: 'secretsmanager' },
          changedAt: at('2025-01-01T10:00:00Z'),
          deployedAt: at('2025-01-01T09:30:00Z'),
        },
      ],
    });
  });

  it.each([
    ['deployed after the change', '2025-01-01T10:00:01Z'],
    ['deployed the moment it changed', '2025-01-01T10:00:00Z'],
  ])('finds a service fresh when %s', (_, iso) => {
    expect(auditService(deployed(iso), [reference(SECRET)], ages)).toEqual({ verdict: 'fresh' });
  });

  it('never finds a service stale for a pinned version', () => {
    expect(auditService(deployed('2020-01-01T00:00:00Z'), [reference(`${PARTIAL}:::v-1`)], ages)).toEqual({
      verdict: 'fresh',
    });
  });

  it('lists each stale value once, however many containers read it, and only the stale references', () => {
    const references = [reference(SECRET), reference(`${SECRET}:password::`), reference(`${PARTIAL}::BLUE:`)];

    const verdict = auditService(deployed('2025-01-01T09:30:00Z'), references, ages);

    expect(verdict.verdict === 'stale' && verdict.stale.map((value) => value.changeKey)).toEqual([
      `${SECRET}|AWSCURRENT|v-2`,
    ]);
    expect(verdict.verdict === 'stale' && verdict.references.map((r) => r.valueFrom)).toEqual([
      SECRET,
      `${SECRET}:password::`,
    ]);
  });

  it('counts a service with no deployment time as stale: it cannot be shown fresh', () => {
    expect(auditService(deployed(null), [reference('/prod/url')], ages)).toMatchObject({
      verdict: 'stale',
      stale: [{ deployedAt: null }],
    });
  });

  it('leaves out a service without a deployment time that would be skipped anyway', () => {
    const codeDeploy = deployed(null, { deploymentController: 'CODE_DEPLOY' });

    expect(auditService(codeDeploy, [reference('/prod/url')], ages)).toEqual({ verdict: 'fresh' });
  });

  it.each([
    ['opted-out', { tags: { 'rotation-redeploy': 'OFF' } }],
    ['deployment-controller', { deploymentController: 'CODE_DEPLOY' }],
    ['scaled-to-zero', { desiredCount: 0 }],
  ] as const)('applies the skip rule %s to a stale service', (reason, overrides) => {
    const verdict = auditService(deployed('2025-01-01T09:30:00Z', overrides), [reference(SECRET)], ages);

    expect(verdict).toMatchObject({ verdict: 'stale', skip: reason });
  });

  it('says a service cannot be judged when a value it reads cannot be dated and none is stale', () => {
    const failing = () => ({ state: 'unknown' as const, reason: 'AccessDeniedException: no' });

    const verdict = auditService(deployed('2025-01-01T09:30:00Z'), [reference(SECRET)], failing);

    expect(verdict).toEqual({
      verdict: 'unknown',
      reason: `cannot tell when the value it reads became current (${SECRET}: AccessDeniedException: no)`,
      references: [reference(SECRET)],
    });
  });

  it('leaves out a service it could not judge that the tool would never redeploy anyway', () => {
    const failing = () => ({ state: 'unknown' as const, reason: 'AccessDeniedException: no' });

    expect(
      auditService(deployed('2025-01-01T09:30:00Z', { desiredCount: 0 }), [reference(SECRET)], failing),
    ).toEqual({ verdict: 'fresh' });
  });
});

describe('moveSeen', () => {
  const labelUpdated = (versionId: string, time?: string, resource = SECRET) =>
    parseEvent({
      source: 'aws.secretsmanager',
      'detail-type': 'Secret Label Updated',
      account: ACCOUNT,
      region: 'us-east-1',
      ...(time === undefined ? {} : { time }),
      resources: [resource],
      detail: { name: 'prod/db', labelUpdated: 'AWSCURRENT', versionId },
    });
  const parameterUpdate = (account = ACCOUNT) =>
    parseEvent({
      source: 'aws.ssm',
      'detail-type': 'Parameter Store Change',
      account,
      region: 'us-east-1',
      time: '2025-01-01T12:00:00Z',
      resources: [`arn:aws:ssm:us-east-1:${account}:parameter/prod/url`],
      detail: { operation: 'Update', name: '/prod/url' },
    });

  it('keeps the move of a label to the version it points to now, at the event time', () => {
    const parsed = labelUpdated('v-2', '2025-01-01T10:30:00Z');

    expect(moveSeen(parsed, parsed.change, 'v-2', 'key')).toEqual({
      key: `${SECRET}|AWSCURRENT`,
      version: 'v-2',
      at: at('2025-01-01T10:30:00Z'),
      changeKey: 'key',
    });
  });

  it.each([
    ['the event is about an older value', labelUpdated('v-1', '2025-01-01T10:30:00Z'), 'v-2'],
    ['the current version could not be read', labelUpdated('v-2', '2025-01-01T10:30:00Z'), null],
    ['the event has no time', labelUpdated('v-2'), 'v-2'],
    [
      'the secret is known only by a partial ARN',
      labelUpdated('v-2', '2025-01-01T10:30:00Z', PARTIAL),
      'v-2',
    ],
    ['a parameter DescribeParameters answered for: its LastModifiedDate is exact', parameterUpdate(), '3'],
  ])('keeps nothing when %s', (_, parsed, current) => {
    expect(moveSeen(parsed, parsed.change, current, 'key')).toBeNull();
  });

  it('keeps the write of a parameter it could not describe, without a version', () => {
    const parsed = parameterUpdate('999999999999');

    expect(moveSeen(parsed, parsed.change, null, 'key')).toEqual({
      key: 'arn:aws:ssm:us-east-1:999999999999:parameter/prod/url',
      version: null,
      at: at('2025-01-01T12:00:00Z'),
      changeKey: 'key',
    });
  });
});
