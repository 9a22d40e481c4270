import { describe, expect, it } from 'vitest';
import { parameterNameProblem, parseItemArn, secretNameProblem } from '../../functions/core/arn.ts';

describe('secretNameProblem', () => {
  it.each([
    ['prod/db-password', null],
    ['a/b_c+d=e.f@g-h', null],
    ['x'.repeat(512), null],
    ['x'.repeat(513), /1 to 512/],
    ['', /1 to 512/],
    ['prod db', /letters, digits and the characters/],
    ['prod:db', /letters, digits and the characters/],
    ['prod/db\u001b[0m', /letters, digits and the characters/],
    ['naïve', /ASCII/],
    ['/', /more than slashes/],
    ['///', /more than slashes/],
  ])('%j → %s', (name, expected) => {
    const problem = secretNameProblem(name);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('parameterNameProblem', () => {
  it.each([
    ['/prod/api/url', null],
    ['prod/api/url', null],
    ['FEATURE_FLAGS', null],
    ['/aws/reference/secretsmanager/prod/db', null],
    [`/${'p'.repeat(1010)}`, null],
    [`/${'p'.repeat(1011)}`, /at most 1011 characters/],
    ['', /ASCII letters, digits/],
    ['/prod/api+url', /ASCII letters, digits/],
    ['/', /no empty hierarchy level/],
    ['//prod', /no empty hierarchy level/],
    ['/prod/', /no empty hierarchy level/],
    [`/${Array.from({ length: 16 }, (_, index) => `l${index}`).join('/')}`, /at most 15 levels/],
  ])('%j → %s', (name, expected) => {
    const problem = parameterNameProblem(name);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('parseItemArn', () => {
  it.each([
    [
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf',
      {
        kind: 'secretsmanager',
        partition: 'aws',
        region: 'us-east-1',
        account: '123456789012',
        id: 'prod/db-AbCdEf',
      },
    ],
    [
      'arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/prod/api/url',
      {
        kind: 'ssm',
        partition: 'aws-us-gov',
        region: 'us-gov-west-1',
        account: '123456789012',
        name: 'prod/api/url',
      },
    ],
    [
      'arn:aws-cn:ssm:cn-north-1:123456789012:parameter/FLAGS',
      { kind: 'ssm', partition: 'aws-cn', region: 'cn-north-1', account: '123456789012', name: 'FLAGS' },
    ],
  ])('reads %s', (value, expected) => {
    expect(parseItemArn(value)).toEqual({ arn: expected });
  });

  it.each([
    ['arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db:password::', /a secret ARN is/],
    ['arn:aws:secretsmanager:us-east-1:123456789012:secret', /a secret ARN is/],
    ['arn:aws:secretsmanager:us-east-1:123456789012:secret:', /1 to 512/],
    ['arn:aws:ssm:us-east-1:123456789012:parameter/prod:3', /a parameter ARN is/],
    ['arn:aws:ssm:us-east-1:123456789012:document/prod', /a parameter ARN is/],
    ['arn:aws:ssm:us-east-1:123456789012:parameter/', /a parameter name is/],
    ['arn:aws:ssm:us-east-1:12345:parameter/prod', /12-digit account/],
    ['arn:aws:ssm:us-east-1\u001b:123456789012:parameter/prod', /is not a Region/],
    ['arn:amazon:ssm:us-east-1:123456789012:parameter/prod', /is not an AWS partition/],
    ['arn:aws:s3:::bucket', /only Secrets Manager secrets and SSM parameters/],
    ['prod/db', /an ARN is/],
  ])('refuses %j', (value, problem) => {
    const parsed = parseItemArn(value);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});
