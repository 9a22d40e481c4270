/**
 * The version a change's label (Secrets Manager) or parameter (SSM) points to now, read from metadata
 * only: DescribeSecret and DescribeParameters never return a value.
 */
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Change } from '../core/change.ts';
import type { ChangeVersions, Invocation } from '../core/ports.ts';

export class AwsChangeVersions implements ChangeVersions {
  constructor(
    private readonly clientsFor: (region: string) => { secrets: SecretsManagerClient; ssm: SSMClient },
  ) {}

  async currentVersion(
    change: Change,
    invocation: Invocation,
  ): Promise<{ version: string | null; arn?: string }> {
    const { secrets, ssm } = this.clientsFor(change.region);
    if (change.kind === 'secretsmanager') {
      const answer = await secrets.send(new DescribeSecretCommand({ SecretId: change.arn }));
      const label = change.label ?? 'AWSCURRENT';
      const entry = Object.entries(answer.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes(label),
      );
      return { version: entry?.[0] ?? null, ...(answer.ARN ? { arn: answer.ARN } : {}) };
    }
    // DescribeParameters only sees this account's parameters: a forwarded event about another account's
    // parameter of the same name would read the wrong version, so such a change is keyed by its event.
    if (change.account !== invocation.ownAccount) return { version: null };
    const answer = await ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [change.name] }],
      }),
    );
    const version = answer.Parameters?.[0]?.Version;
    return { version: version === undefined ? null : String(version) };
  }
}

/** Clients per Region (the secret's, which a forwarded event may put elsewhere), made once each. */
export function regionalMetadataClients(config: object = {}) {
  const made = new Map<string, { secrets: SecretsManagerClient; ssm: SSMClient }>();
  return (region: string) => {
    let clients = made.get(region);
    if (clients === undefined) {
      clients = {
        secrets: new SecretsManagerClient({ ...config, region }),
        ssm: new SSMClient({ ...config, region }),
      };
      made.set(region, clients);
    }
    return clients;
  };
}
