import { describe, expect, it } from 'vitest';
import { whoUses } from '../../functions/app/who-uses.ts';
import { itemsNamedBy } from '../../functions/core/reference.ts';
import { inMemoryPorts, service, taskDefinitionArn } from '../support/in-memory-ports.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const PARTIAL = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password';

const withSecrets = (...valueFroms: string[]) => ({
  containerDefinitions: valueFroms.map((valueFrom, index) => ({
    name: `c${index}`,
    secrets: [{ name: 'DB', valueFrom }],
  })),
});

const TD = {
  full: taskDefinitionArn('full'),
  pinned: taskDefinitionArn('pinned'),
  other: taskDefinitionArn('other'),
};

const taskDefinitions = {
  [TD.full]: withSecrets(SECRET_ARN),
  [TD.pinned]: withSecrets(`${PARTIAL}:::v-1`),
  [TD.other]: withSecrets(
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-admin-XyZ123',
  ),
};

describe('whoUses', () => {
  it('lists every service referencing the secret by any form, with the references', async () => {
    const { ports } = inMemoryPorts({
      services: [service('api', TD.full), service('pinned', TD.pinned), service('other', TD.other)],
      taskDefinitions,
    });

    const report = await whoUses(
      SECRET_ARN,
      itemsNamedBy(SECRET_ARN, { partition: 'aws', region: 'us-east-1' }),
      ports,
      4,
    );

    expect(report.services.map((entry) => entry.serviceName)).toEqual(['api', 'pinned']);
    expect(report.services[1]?.references).toEqual([
      { container: 'c0', field: 'secrets', valueFrom: `${PARTIAL}:::v-1` },
    ]);
  });
});

describe('whoUses with a bare name', () => {
  it('means the parameter of the services’ own account, not another account’s of the same name', async () => {
    const { ports } = inMemoryPorts({
      services: [
        service('by-name', taskDefinitionArn('by-name')),
        service('elsewhere', taskDefinitionArn('elsewhere')),
      ],
      taskDefinitions: {
        [taskDefinitionArn('by-name')]: withSecrets('/prod/api/url'),
        [taskDefinitionArn('elsewhere')]: withSecrets(
          'arn:aws:ssm:us-east-1:999999999999:parameter/prod/api/url',
        ),
      },
    });

    const report = await whoUses(
      '/prod/api/url',
      itemsNamedBy('/prod/api/url', { partition: 'aws', region: 'us-east-1' }),
      ports,
      4,
    );

    expect(report.services.map((entry) => entry.serviceName)).toEqual(['by-name']);
  });
});
