/** The metadata adapter's paging, batching and pacing, which the emulator does not exercise (it answers one page). */
import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsItemMetadata } from '../../functions/aws/item-metadata.ts';
import { type ItemQuery, queryKey } from '../../functions/core/staleness.ts';

const where = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const clients = {
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  ssm: new SSMClient({ region: 'us-east-1' }),
};

afterEach(() => {
  secrets.reset();
  ssm.reset();
});

describe('AwsItemMetadata', () => {
  it("follows ListSecretVersionIds' pages until the last", async () => {
    secrets
      .on(ListSecretVersionIdsCommand)
      .resolvesOnce({
        ARN: SECRET,
        Name: 'prod/db',
        Versions: [{ VersionId: 'v-1', VersionStages: ['AWSPREVIOUS'], CreatedDate: new Date(1_000) }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        ARN: SECRET,
        Name: 'prod/db',
        Versions: [{ VersionId: 'v-2', VersionStages: ['AWSCURRENT'], CreatedDate: new Date(2_000) }],
      });
    const query: ItemQuery = { kind: 'secretsmanager', ...where, secretId: 'prod/db' };

    const answers = await new AwsItemMetadata({ clientsFor: () => clients }).read([query]);

    expect(answers.get(queryKey(query))).toEqual({
      ok: {
        kind: 'secretsmanager',
        arn: SECRET,
        name: 'prod/db',
        versions: [
          { versionId: 'v-1', stages: ['AWSPREVIOUS'], createdAt: 1_000 },
          { versionId: 'v-2', stages: ['AWSCURRENT'], createdAt: 2_000 },
        ],
      },
    });
    expect(secrets).toHaveReceivedCommandTimes(ListSecretVersionIdsCommand, 2);
    expect(secrets).toHaveReceivedNthCommandWith(ListSecretVersionIdsCommand, 2, {
      SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db',
      NextToken: 'page-2',
    });
  });

  it('refuses an answer without the secret ARN rather than key a change by a name', async () => {
    secrets.on(ListSecretVersionIdsCommand).resolves({ ARN: 'prod/db', Name: 'prod/db', Versions: [] });
    const query: ItemQuery = { kind: 'secretsmanager', ...where, secretId: 'prod/db' };

    const answers = await new AwsItemMetadata({ clientsFor: () => clients }).read([query]);

    expect(answers.get(queryKey(query))).toEqual({
      error: `IncompleteMetadataError: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db: ListSecretVersionIds answered no secret ARN and name`,
    });
  });

  it('asks for at most 50 names a call, a plain name in both spellings, and follows short pages', async () => {
    ssm
      .on(DescribeParametersCommand)
      .callsFake((input: { ParameterFilters: { Values: string[] }[]; NextToken?: string }) => {
        const values = input.ParameterFilters[0]?.Values ?? [];
        // A best-effort page: the first answer of each batch is empty, with a token.
        if (input.NextToken === undefined) return { Parameters: [], NextToken: 'more' };
        return {
          Parameters: values
            .filter((value) => value.startsWith('/'))
            .map((name) => ({ Name: name, Version: 4, LastModifiedDate: new Date(5_000) })),
        };
      });
    const hierarchical = Array.from(
      { length: 60 },
      (_, index): ItemQuery => ({ kind: 'ssm', ...where, name: `app/p${index}` }),
    );
    const plain = Array.from(
      { length: 20 },
      (_, index): ItemQuery => ({ kind: 'ssm', ...where, name: `plain${index}` }),
    );

    const answers = await new AwsItemMetadata({ clientsFor: () => clients }).read([
      ...hierarchical,
      ...plain,
    ]);

    // 60 + 2 × 20 = 100 values: two filters of 50, each answered in two pages.
    expect(ssm).toHaveReceivedCommandTimes(DescribeParametersCommand, 4);
    for (const call of ssm.commandCalls(DescribeParametersCommand)) {
      expect(call.args[0].input.ParameterFilters?.[0]?.Values?.length).toBeLessThanOrEqual(50);
    }
    expect(answers.get(queryKey(hierarchical[59] as ItemQuery))).toEqual({
      ok: {
        kind: 'ssm',
        arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/p59',
        name: '/app/p59',
        version: '4',
        lastModifiedAt: 5_000,
      },
    });
    expect(answers.get(queryKey(plain[0] as ItemQuery))).toMatchObject({
      ok: { name: '/plain0', version: '4' },
    });
  });

  it('paces every call, pages included, and keeps at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    secrets.on(ListSecretVersionIdsCommand).callsFake(async (input: { SecretId: string }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      const id = input.SecretId.slice(input.SecretId.indexOf(':secret:') + 8);
      return { ARN: `${input.SecretId}-AbCdEf`, Name: id, Versions: [] };
    });
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
    let paced = 0;
    const queries: ItemQuery[] = [
      ...Array.from(
        { length: 9 },
        (_, index): ItemQuery => ({ kind: 'secretsmanager', ...where, secretId: `s${index}` }),
      ),
      { kind: 'ssm', ...where, name: 'p' },
    ];

    await new AwsItemMetadata({
      clientsFor: () => clients,
      concurrency: 3,
      pace: async () => {
        paced += 1;
      },
    }).read(queries);

    expect(paced).toBe(10);
    expect(most).toBe(3);
  });
});
