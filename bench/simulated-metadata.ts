/**
 * Secrets Manager's ListSecretVersionIds and Parameter Store's DescribeParameters over the audit account's
 * items, answered after the same fixed latency as the simulated ECS, with their page sizes and filter limit;
 * every call counted by action. Neither service's throttling is simulated (the audit keeps at most its
 * concurrency of reads in flight). `accountEndpoint` puts it beside the simulated ECS behind one request
 * handler, so every client createAwsClients makes talks to the simulation through the real SDK stack.
 */
import type { SyntheticItem } from './audit-account.ts';
import { type EcsAnswer, ecsEndpoint } from './ecs-endpoint.ts';
import type { CallCount, SimulatedEcs } from './simulated-ecs.ts';

/** ListSecretVersionIds answers at most 100 versions a page. */
export const VERSIONS_PAGE_MAX = 100;
/** DescribeParameters takes at most 50 values in a filter and answers at most 50 parameters a page. */
export const PARAMETER_FILTER_MAX = 50;

const invalid = (message: string): EcsAnswer => ({ error: 'ValidationException', message, status: 400 });

export class SimulatedMetadata {
  readonly #bySecretId = new Map<string, Extract<SyntheticItem, { kind: 'secretsmanager' }>>();
  readonly #parameters = new Map<string, Extract<SyntheticItem, { kind: 'ssm' }>>();
  #calls = new Map<string, CallCount>();

  constructor(
    items: Iterable<SyntheticItem>,
    private readonly options: { readonly latencyMs: number },
  ) {
    for (const item of items) {
      if (item.kind === 'ssm') this.#parameters.set(item.name, item);
      else {
        // A secret is named by its full ARN, its name, or its partial ARN.
        this.#bySecretId.set(item.arn, item);
        this.#bySecretId.set(item.name, item);
        this.#bySecretId.set(item.arn.slice(0, -7), item);
      }
    }
  }

  /** Plug into a client as its request handler (awsJson1_1, like ECS). */
  readonly requestHandler = ecsEndpoint((action, input) => this.answer(action, input));

  get calls(): Readonly<Record<string, CallCount>> {
    return Object.fromEntries([...this.#calls].map(([action, count]) => [action, { ...count }]));
  }

  resetStats(): void {
    this.#calls = new Map();
  }

  async answer(action: string, input: Record<string, unknown>): Promise<EcsAnswer> {
    const count = this.#calls.get(action) ?? { answered: 0, throttled: 0, refused: 0 };
    this.#calls.set(action, count);
    const answer = this.#serve(action, input);
    if ('ok' in answer) count.answered += 1;
    else count.refused += 1;
    if (this.options.latencyMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    return answer;
  }

  #serve(action: string, input: Record<string, unknown>): EcsAnswer {
    if (action === 'ListSecretVersionIds') {
      const secret = this.#bySecretId.get(String(input.SecretId));
      if (secret === undefined) {
        return {
          error: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
          status: 400,
        };
      }
      if (secret.versions.length > VERSIONS_PAGE_MAX) return invalid('paging is not simulated');
      return {
        ok: {
          ARN: secret.arn,
          Name: secret.name,
          Versions: secret.versions.map((version) => ({
            VersionId: version.versionId,
            VersionStages: version.stages,
            CreatedDate: version.createdAt / 1000,
          })),
        },
      };
    }
    if (action === 'DescribeParameters') {
      const filters = (input.ParameterFilters ?? []) as {
        Key?: string;
        Option?: string;
        Values?: string[];
      }[];
      const filter = filters[0];
      if (filters.length !== 1 || filter?.Key !== 'Name' || filter.Option !== 'Equals') {
        return invalid('only one Name Equals filter is simulated');
      }
      const values = filter.Values ?? [];
      if (values.length < 1 || values.length > PARAMETER_FILTER_MAX) {
        return invalid(`a filter takes 1 to ${PARAMETER_FILTER_MAX} values`);
      }
      const size = Number(input.MaxResults ?? PARAMETER_FILTER_MAX);
      if (!Number.isInteger(size) || size < 1 || size > PARAMETER_FILTER_MAX) {
        return invalid(`MaxResults must be 1 to ${PARAMETER_FILTER_MAX}`);
      }
      const found = values.flatMap((name) => {
        const parameter = this.#parameters.get(name);
        return parameter === undefined ? [] : [parameter];
      });
      if (found.length > size) return invalid('paging is not simulated');
      return {
        ok: {
          Parameters: found.map((parameter) => ({
            Name: parameter.name,
            Type: 'String',
            Version: parameter.version,
            LastModifiedDate: parameter.lastModifiedAt / 1000,
          })),
        },
      };
    }
    return { error: 'UnknownOperationException', message: `${action} is not simulated` };
  }
}

interface HttpRequestLike {
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** One request handler for the whole account: Secrets Manager and SSM to the metadata, the rest to ECS. */
export function accountEndpoint(ecs: SimulatedEcs, metadata: SimulatedMetadata) {
  return {
    handle(request: HttpRequestLike) {
      const target = request.headers['x-amz-target'] ?? '';
      const metadataCall = target.startsWith('secretsmanager.') || target.startsWith('AmazonSSM.');
      return (metadataCall ? metadata.requestHandler : ecs.requestHandler).handle(request);
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
}
