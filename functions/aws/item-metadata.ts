/**
 * When each referenced secret's labelled versions were created and each parameter was last written, from
 * metadata only: ListSecretVersionIds and DescribeParameters never return a value.
 */
import { ListSecretVersionIdsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { normaliseParameterName, parameterArn, parseArn, secretArn } from '../core/arn.ts';
import { createLimiter } from '../core/bounded.ts';
import { RotationRedeployError } from '../core/errors.ts';
import type { ItemMetadataReader } from '../core/ports.ts';
import { failureReason } from '../core/report.ts';
import {
  describedParameterName,
  type ItemQuery,
  type MetadataAnswer,
  type ParameterVersion,
  queryKey,
  type SecretVersions,
} from '../core/staleness.ts';

/** ListSecretVersionIds answers at most 100 versions a page. */
const VERSIONS_PAGE = 100;
/** DescribeParameters takes at most 50 values in a filter and answers at most 50 parameters a page. */
const PARAMETER_FILTER_VALUES = 50;
const PARAMETERS_PAGE = 50;

/** A metadata answer that lacks what the audit needs. */
export class IncompleteMetadataError extends RotationRedeployError {}

export interface ItemMetadataOptions {
  /** Clients for a Region: the item's, which may not be the function's own. */
  readonly clientsFor: (region: string) => { secrets: SecretsManagerClient; ssm: SSMClient };
  /** Reads in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Awaited before every call, to pace the reads (a token bucket's `take`). @default none */
  readonly pace?: () => Promise<void>;
}

export class AwsItemMetadata implements ItemMetadataReader {
  readonly #limit: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(private readonly options: ItemMetadataOptions) {
    this.#limit = createLimiter(options.concurrency ?? 8);
  }

  async read(queries: readonly ItemQuery[]): Promise<Map<string, MetadataAnswer>> {
    const answers = new Map<string, MetadataAnswer>();
    const parameters = new Map<string, Extract<ItemQuery, { kind: 'ssm' }>[]>();
    const reads: Promise<void>[] = [];
    for (const query of queries) {
      if (query.kind === 'ssm') {
        const where = `${query.region}|${query.account}`;
        parameters.set(where, [...(parameters.get(where) ?? []), query]);
        continue;
      }
      reads.push(
        this.#secretVersions(query).then(
          (ok) => void answers.set(queryKey(query), { ok }),
          (error: unknown) => void answers.set(queryKey(query), { error: failureReason(error) }),
        ),
      );
    }
    for (const group of parameters.values()) {
      for (const batch of parameterBatches(group)) {
        reads.push(
          this.#parameterVersions(batch).then(
            (found) => {
              for (const query of batch) {
                const ok = found.get(normaliseParameterName(query.name));
                answers.set(
                  queryKey(query),
                  ok === undefined
                    ? { error: `ParameterNotFound: no parameter ${describedParameterName(query.name)}` }
                    : { ok: { ...ok, arn: arnOf(query) } },
                );
              }
            },
            (error: unknown) => {
              for (const query of batch) answers.set(queryKey(query), { error: failureReason(error) });
            },
          ),
        );
      }
    }
    await Promise.all(reads);
    return answers;
  }

  #call<T>(work: () => Promise<T>): Promise<T> {
    return this.#limit(async () => {
      await this.options.pace?.();
      return work();
    });
  }

  /** Every labelled version (those without a label are never read by a task), page by page. */
  async #secretVersions(query: Extract<ItemQuery, { kind: 'secretsmanager' }>): Promise<SecretVersions> {
    const { secrets } = this.options.clientsFor(query.region);
    const secretId = secretArn(query.partition, query.region, query.account, query.secretId);
    const versions: SecretVersions['versions'][number][] = [];
    let arn: string | undefined;
    let name: string | undefined;
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.#call(() =>
        secrets.send(
          new ListSecretVersionIdsCommand({
            SecretId: secretId,
            MaxResults: VERSIONS_PAGE,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        ),
      );
      arn ??= page.ARN;
      name ??= page.Name;
      for (const version of page.Versions ?? []) {
        if (version.VersionId === undefined || (version.VersionStages ?? []).length === 0) continue;
        if (version.CreatedDate === undefined) {
          throw new IncompleteMetadataError(`${secretId}: version ${version.VersionId} has no CreatedDate`);
        }
        versions.push({
          versionId: version.VersionId,
          stages: version.VersionStages ?? [],
          createdAt: version.CreatedDate.getTime(),
        });
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
    if (arn === undefined || parseArn(arn)?.service !== 'secretsmanager' || name === undefined) {
      throw new IncompleteMetadataError(`${secretId}: ListSecretVersionIds answered no secret ARN and name`);
    }
    return { kind: 'secretsmanager', arn, name, versions };
  }

  /** One DescribeParameters (and its further pages) for up to 50 names, keyed by normalised name. */
  async #parameterVersions(
    batch: readonly Extract<ItemQuery, { kind: 'ssm' }>[],
  ): Promise<Map<string, Omit<ParameterVersion, 'arn'>>> {
    const first = batch[0];
    if (first === undefined) return new Map();
    const { ssm } = this.options.clientsFor(first.region);
    const found = new Map<string, Omit<ParameterVersion, 'arn'>>();
    const filter = { Key: 'Name', Option: 'Equals', Values: batch.flatMap((query) => spellings(query.name)) };
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.#call(() =>
        ssm.send(
          new DescribeParametersCommand({
            ParameterFilters: [filter],
            MaxResults: PARAMETERS_PAGE,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        ),
      );
      for (const parameter of page.Parameters ?? []) {
        if (parameter.Name === undefined) continue;
        if (parameter.Version === undefined || parameter.LastModifiedDate === undefined) {
          throw new IncompleteMetadataError(`parameter ${parameter.Name} has no Version or LastModifiedDate`);
        }
        found.set(normaliseParameterName(parameter.Name), {
          kind: 'ssm',
          name: parameter.Name,
          version: String(parameter.Version),
          lastModifiedAt: parameter.LastModifiedDate.getTime(),
        });
      }
      // DescribeParameters may answer fewer than asked, and an empty page, with a token: follow it.
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
    return found;
  }
}

/**
 * The names to ask for: a hierarchical name has one spelling (`/a/b`; `a/b` is no valid name), a plain one
 * two (`Name` and `/Name` are the same parameter, and either may be how it was created).
 */
function spellings(name: string): string[] {
  const described = describedParameterName(name);
  return described.startsWith('/') ? [described] : [described, `/${described}`];
}

/** Groups of queries whose spellings fit one filter of at most 50 values. */
function parameterBatches<T extends { readonly name: string }>(queries: readonly T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let values = 0;
  for (const query of queries) {
    const count = spellings(query.name).length;
    if (values + count > PARAMETER_FILTER_VALUES) {
      batches.push(batch);
      batch = [];
      values = 0;
    }
    batch.push(query);
    values += count;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function arnOf(query: Extract<ItemQuery, { kind: 'ssm' }>): string {
  return parameterArn(query.partition, query.region, query.account, query.name);
}
