import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../functions/core/errors.ts';
import {
  type Item,
  itemsNamedBy,
  type Reference,
  referencesOf,
  refersTo,
  unchangedReason,
} from '../../functions/core/reference.ts';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:7';
const SM = 'arn:aws:secretsmanager:us-east-1:123456789012:secret';
const SSM = 'arn:aws:ssm:us-east-1:123456789012:parameter';

const secret = (name: string, suffix: string | null, overrides: Partial<Item> = {}): Item =>
  ({
    kind: 'secretsmanager',
    partition: 'aws',
    region: 'us-east-1',
    account: '123456789012',
    name,
    suffix,
    ...overrides,
  }) as Item;
const parameter = (name: string, overrides: Partial<Item> = {}): Item =>
  ({
    kind: 'ssm',
    partition: 'aws',
    region: 'us-east-1',
    account: '123456789012',
    name,
    ...overrides,
  }) as Item;

function onlyReference(valueFrom: string, field: 'secrets' | 'repositoryCredentials' = 'secrets'): Reference {
  const container =
    field === 'secrets'
      ? { name: 'app', secrets: [{ name: 'X', valueFrom }] }
      : { name: 'app', repositoryCredentials: { credentialsParameter: valueFrom } };
  const { references, malformed } = referencesOf({
    taskDefinitionArn: TASK,
    containerDefinitions: [container],
  });
  expect(malformed).toEqual([]);
  expect(references).toHaveLength(1);
  return references[0] as Reference;
}

describe('referencesOf', () => {
  it.each([
    // valueFrom, kind, region, account, id, jsonKey, stage, versionId
    [
      `${SM}:prod/db-AbCdEf`,
      'secretsmanager',
      'us-east-1',
      '123456789012',
      'prod/db-AbCdEf',
      null,
      null,
      null,
    ],
    [`${SM}:prod/db`, 'secretsmanager', 'us-east-1', '123456789012', 'prod/db', null, null, null],
    [
      `${SM}:prod/db-AbCdEf:password::`,
      'secretsmanager',
      'us-east-1',
      '123456789012',
      'prod/db-AbCdEf',
      'password',
      null,
      null,
    ],
    [
      `${SM}:prod/db::AWSPREVIOUS:`,
      'secretsmanager',
      'us-east-1',
      '123456789012',
      'prod/db',
      null,
      'AWSPREVIOUS',
      null,
    ],
    [`${SM}:prod/db:::v-1`, 'secretsmanager', 'us-east-1', '123456789012', 'prod/db', null, null, 'v-1'],
    [
      `${SM}:prod/db:user:BLUE:`,
      'secretsmanager',
      'us-east-1',
      '123456789012',
      'prod/db',
      'user',
      'BLUE',
      null,
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:210987654321:secret:shared-XyZ123',
      'secretsmanager',
      'eu-west-1',
      '210987654321',
      'shared-XyZ123',
      null,
      null,
      null,
    ],
    ['FEATURE_FLAGS', 'ssm', 'us-east-1', '123456789012', 'FEATURE_FLAGS', null, null, null],
    ['/prod/api/url', 'ssm', 'us-east-1', '123456789012', 'prod/api/url', null, null, null],
    [`${SSM}/prod/api/url`, 'ssm', 'us-east-1', '123456789012', 'prod/api/url', null, null, null],
    [`${SSM}/FEATURE_FLAGS`, 'ssm', 'us-east-1', '123456789012', 'FEATURE_FLAGS', null, null, null],
    [
      'arn:aws:ssm:eu-west-1:123456789012:parameter/prod/api/url',
      'ssm',
      'eu-west-1',
      '123456789012',
      'prod/api/url',
      null,
      null,
      null,
    ],
  ])(
    'reads %s as a %s reference',
    (valueFrom, kind, region, account, id, jsonKey, versionStage, versionId) => {
      expect(onlyReference(valueFrom)).toMatchObject({
        kind,
        region,
        account,
        id,
        jsonKey,
        versionStage,
        versionId,
      });
    },
  );

  it.each([
    // valueFrom, region, account, id
    ['/aws/reference/secretsmanager/prod/db', 'us-east-1', '123456789012', 'prod/db'],
    ['aws/reference/secretsmanager/prod/db', 'us-east-1', '123456789012', 'prod/db'],
    [`${SSM}/aws/reference/secretsmanager/prod/db`, 'us-east-1', '123456789012', 'prod/db'],
    [
      'arn:aws:ssm:eu-west-1:210987654321:parameter/aws/reference/secretsmanager/shared-XyZ123',
      'eu-west-1',
      '210987654321',
      'shared-XyZ123',
    ],
  ])(
    'reads %s as the secret it names through Parameter Store, following AWSCURRENT',
    (valueFrom, region, account, id) => {
      expect(onlyReference(valueFrom)).toMatchObject({
        kind: 'secretsmanager',
        region,
        account,
        id,
        jsonKey: null,
        versionStage: null,
        versionId: null,
      });
    },
  );

  it('reads a bare name in repositoryCredentials as a Secrets Manager secret of the task Region', () => {
    expect(onlyReference('registry-login', 'repositoryCredentials')).toMatchObject({
      kind: 'secretsmanager',
      region: 'us-east-1',
      id: 'registry-login',
    });
  });

  it('finds references in every container, log options, repository credentials and FSx volumes, never in environment', () => {
    const { references } = referencesOf({
      taskDefinitionArn: TASK,
      containerDefinitions: [
        {
          name: 'app',
          secrets: [{ valueFrom: 'A' }],
          logConfiguration: { secretOptions: [{ valueFrom: 'B' }] },
        },
        { name: 'sidecar', repositoryCredentials: { credentialsParameter: `${SM}:registry-AbCdEf` } },
        { name: 'plain', environment: [{ name: 'X', value: `${SM}:prod/db` }] } as never,
      ],
      volumes: [
        {
          name: 'share',
          fsxWindowsFileServerVolumeConfiguration: {
            authorizationConfig: { credentialsParameter: `${SSM}/fsx` },
          },
        },
      ],
    });
    expect(
      references.map((reference) => [reference.container, reference.field, reference.valueFrom]),
    ).toEqual([
      ['app', 'secrets', 'A'],
      ['app', 'secretOptions', 'B'],
      ['sidecar', 'repositoryCredentials', `${SM}:registry-AbCdEf`],
      ['volume:share', 'fsxCredentials', `${SSM}/fsx`],
    ]);
  });

  it.each([
    [`${SM}:prod/db:password`, 'optionally followed by'],
    [`${SM}:prod/db:password:AWSCURRENT`, 'optionally followed by'],
    [`${SM}:prod/db::AWSCURRENT:v-1`, 'both a version stage and a version id'],
    ['prod-db:3', 'selectors are refused'],
    ['arn:aws:s3:::bucket/key', 'only Secrets Manager and SSM'],
    ['arn:aws:ssm:us-east-1:123456789012:document/x', 'must name a parameter'],
    ['/aws/reference/secretsmanager/', 'must be followed by a secret name'],
    [`${SSM}/aws/reference/secretsmanager/prod/db:AWSPREVIOUS`, 'selectors are refused'],
  ])('sets aside %s as malformed (%s)', (valueFrom, problem) => {
    const { references, malformed } = referencesOf({
      taskDefinitionArn: TASK,
      containerDefinitions: [{ name: 'app', secrets: [{ valueFrom }] }],
    });
    expect(references).toEqual([]);
    expect(malformed[0]?.problem).toContain(problem);
  });
});

describe('refersTo', () => {
  it.each([
    // valueFrom, item, expected
    [`${SM}:prod/db-AbCdEf`, secret('prod/db', 'AbCdEf'), true],
    [`${SM}:prod/db`, secret('prod/db', 'AbCdEf'), true],
    [`${SM}:prod/db:password::`, secret('prod/db', 'AbCdEf'), true],
    [`${SM}:prod/db-AbCdEf::AWSPREVIOUS:`, secret('prod/db', 'AbCdEf'), true],
    // prefix collisions: partial prod/db is not prod/db-admin, and the other way round
    [`${SM}:prod/db`, secret('prod/db-admin', 'XyZ123'), false],
    [`${SM}:prod/db-admin`, secret('prod/db', 'AbCdEf'), false],
    [`${SM}:prod/db-admin-XyZ123`, secret('prod/db', 'AbCdEf'), false],
    // another secret with the same name but another suffix (deleted and re-created)
    [`${SM}:prod/db-ZZZZZZ`, secret('prod/db', 'AbCdEf'), false],
    // suffix unknown (CloudTrail gave only a name): any suffix of exactly this name
    [`${SM}:prod/db-ZZZZZZ`, secret('prod/db', null), true],
    [`${SM}:prod/db-admin-XyZ123`, secret('prod/db', null), false],
    // other Region or account: a different secret
    [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
      secret('prod/db', 'AbCdEf'),
      false,
    ],
    [
      'arn:aws:secretsmanager:us-east-1:999999999999:secret:prod/db-AbCdEf',
      secret('prod/db', 'AbCdEf'),
      false,
    ],
    // SSM: name, slash-less name, ARN
    ['/prod/api/url', parameter('prod/api/url'), true],
    ['prod/api/url', parameter('prod/api/url'), true],
    [`${SSM}/prod/api/url`, parameter('prod/api/url'), true],
    ['FEATURE_FLAGS', parameter('FEATURE_FLAGS'), true],
    ['/prod/api/url-v2', parameter('prod/api/url'), false],
    ['/prod/api', parameter('prod/api/url'), false],
    ['arn:aws:ssm:eu-west-1:123456789012:parameter/prod/api/url', parameter('prod/api/url'), false],
    ['/prod/api/url', parameter('prod/api/url', { region: 'eu-west-1' }), false],
    // a secret and a parameter of the same name are different items
    ['prod/db', secret('prod/db', 'AbCdEf'), false],
    [`${SM}:prod/db-AbCdEf`, parameter('prod/db'), false],
    // any account: a CLI query by bare name
    ['/prod/api/url', parameter('prod/api/url', { account: null }), true],
    // Parameter Store's path to Secrets Manager names the secret, never a parameter
    ['/aws/reference/secretsmanager/prod/db', secret('prod/db', 'AbCdEf'), true],
    [`${SSM}/aws/reference/secretsmanager/prod/db`, secret('prod/db', 'AbCdEf'), true],
    ['/aws/reference/secretsmanager/prod/db-AbCdEf', secret('prod/db', 'AbCdEf'), true],
    ['/aws/reference/secretsmanager/prod/db', secret('prod/db-admin', 'XyZ123'), false],
    ['/aws/reference/secretsmanager/prod/db', secret('prod/db', 'AbCdEf', { region: 'eu-west-1' }), false],
    [
      'arn:aws:ssm:us-east-1:999999999999:parameter/aws/reference/secretsmanager/prod/db',
      secret('prod/db', 'AbCdEf'),
      false,
    ],
    ['/aws/reference/secretsmanager/prod/db', parameter('aws/reference/secretsmanager/prod/db'), false],
  ])('%s refers to %o: %s', (valueFrom, item, expected) => {
    expect(refersTo(onlyReference(valueFrom), item)).toBe(expected);
  });

  it('matches a bare repositoryCredentials name to the secret of that name', () => {
    expect(
      refersTo(onlyReference('registry-login', 'repositoryCredentials'), secret('registry-login', 'AbCdEf')),
    ).toBe(true);
    expect(
      refersTo(onlyReference('registry', 'repositoryCredentials'), secret('registry-login', 'AbCdEf')),
    ).toBe(false);
  });
});

describe('unchangedReason', () => {
  const moved = (...movedLabels: string[]) => ({ kind: 'secretsmanager' as const, movedLabels });
  it.each([
    // valueFrom, labels that moved, expected
    [`${SM}:prod/db`, ['AWSCURRENT'], null],
    [`${SM}:prod/db:password::`, ['AWSCURRENT'], null],
    [`${SM}:prod/db::AWSCURRENT:`, ['AWSCURRENT'], null],
    [`${SM}:prod/db::AWSPREVIOUS:`, ['AWSCURRENT'], null],
    [`${SM}:prod/db::AWSPREVIOUS:`, ['AWSPREVIOUS'], null],
    [`${SM}:prod/db::BLUE:`, ['AWSCURRENT'], 'stage-not-moved'],
    [`${SM}:prod/db::BLUE:`, ['BLUE'], null],
    [`${SM}:prod/db`, ['BLUE'], 'stage-not-moved'],
    [`${SM}:prod/db::AWSPREVIOUS:`, ['BLUE'], 'stage-not-moved'],
    [`${SM}:prod/db:::v-1`, ['AWSCURRENT'], 'pinned-version'],
    [`${SM}:prod/db:password::v-1`, ['AWSCURRENT'], 'pinned-version'],
  ])('%s after %o moved: %s', (valueFrom, labels, expected) => {
    expect(unchangedReason(onlyReference(valueFrom), moved(...labels))).toBe(expected);
  });

  it('redeploys a Parameter Store reference to a secret when AWSCURRENT moves, and only then', () => {
    const reference = onlyReference('/aws/reference/secretsmanager/prod/db');
    expect(unchangedReason(reference, moved('AWSCURRENT'))).toBeNull();
    expect(unchangedReason(reference, moved('BLUE'))).toBe('stage-not-moved');
  });

  it('treats every reference to a changed parameter as changed', () => {
    expect(unchangedReason(onlyReference('/prod/api/url'), { kind: 'ssm', movedLabels: [] })).toBeNull();
  });
});

describe('itemsNamedBy', () => {
  const here = { partition: 'aws', region: 'us-east-1' };
  it.each([
    [
      `${SM}:prod/db-AbCdEf`,
      [{ kind: 'secretsmanager', name: 'prod/db', suffix: 'AbCdEf', account: '123456789012' }],
    ],
    [`${SM}:prod/db`, [{ kind: 'secretsmanager', name: 'prod/db', suffix: null }]],
    [`${SSM}/prod/api/url`, [{ kind: 'ssm', name: 'prod/api/url' }]],
    [
      '/prod/api/url',
      [
        { kind: 'secretsmanager', name: '/prod/api/url', account: null },
        { kind: 'ssm', name: 'prod/api/url', account: null },
      ],
    ],
    [
      '/aws/reference/secretsmanager/prod/db',
      [{ kind: 'secretsmanager', name: 'prod/db', suffix: null, account: null }],
    ],
    [
      `${SSM}/aws/reference/secretsmanager/prod/db-AbCdEf`,
      [{ kind: 'secretsmanager', name: 'prod/db', suffix: 'AbCdEf', account: '123456789012' }],
    ],
    // A name only Secrets Manager accepts is looked for as a secret alone.
    ['prod/db+admin@corp', [{ kind: 'secretsmanager', name: 'prod/db+admin@corp', account: null }]],
  ])('reads the query %s', (query, expected) => {
    const items = itemsNamedBy(query, here);
    expect(items).toHaveLength(expected.length);
    expected.forEach((fields, index) => {
      expect(items[index]).toMatchObject(fields);
    });
  });

  it.each([
    ['an S3 ARN', 'arn:aws:s3:::bucket', /only Secrets Manager secrets and SSM parameters/],
    ['a truncated ARN', 'arn:nonsense', /an ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE/],
    ['nothing', '', /neither .* nor a name either would accept/],
    ['a star', '*', /neither .* nor a name either would accept/],
    ['a slash', '/', /a secret name needs more than slashes; a parameter name has no empty hierarchy level/],
    [
      'two slashes',
      '//',
      /a secret name needs more than slashes; a parameter name has no empty hierarchy level/,
    ],
    [
      'a secret ARN with extra colons',
      `${SM}:prod/db:password::`,
      /a secret ARN is arn:PARTITION:secretsmanager/,
    ],
    ['a parameter ARN with extra colons', `${SSM}/prod/api/url:3`, /a parameter ARN is arn:PARTITION:ssm/],
    ['a parameter ARN with two slashes', `${SSM}//prod/api/url`, /one slash after "parameter"/],
    [
      'a secret ARN without an account',
      'arn:aws:secretsmanager:us-east-1::secret:prod/db',
      /12-digit account/,
    ],
    [
      'the reserved path with no secret',
      '/aws/reference/secretsmanager/',
      /names no secret: a secret name is 1 to 512/,
    ],
    [
      'the reserved path with a name no secret has',
      '/aws/reference/secretsmanager/prod db',
      /names no secret/,
    ],
    ['an escape in a name', 'prod/db\u001b[2K', /neither/],
  ])('refuses %s, saying what a name or ARN may be', (_, query, message) => {
    expect(() => itemsNamedBy(query, here)).toThrow(InvalidQueryError);
    expect(() => itemsNamedBy(query, here)).toThrow(message);
  });
});
