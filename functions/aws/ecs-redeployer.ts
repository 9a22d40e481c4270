/**
 * UpdateService with forceNewDeployment: a new deployment of the service's current task definition.
 *
 * UpdateService has no idempotency token, so a blind retry after a timeout or a 5xx can deploy twice when
 * the first call did land. This adapter therefore retries itself (its client makes one attempt a call) and,
 * after an answer that leaves it unknown whether ECS acted, asks DescribeServices first: a PRIMARY
 * deployment that did not exist before the first attempt, and was created since it began, is one of this
 * redeploy's attempts, and is not made again. Only one that did not exist before counts: a service deployed by
 * CI/CD seconds before the run has a fresh PRIMARY that is not ours, and claiming it would report a
 * redeploy that never happened.
 */
import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Redeployer } from '../core/ports.ts';
import type { RedeployTarget, ServiceRef } from '../core/service.ts';

export interface RedeployRetry {
  /** Attempts per service, the first included. @default 10 */
  readonly attempts?: number;
  /** First back-off; doubles each attempt up to `maxDelayMs`, with full jitter. @default 1000 */
  readonly baseDelayMs?: number;
  /** @default 20000 */
  readonly maxDelayMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** How far ECS's clock may run behind ours when telling whether a deployment is this attempt's. */
const CLOCK_SKEW_MS = 5_000;

interface AwsError {
  readonly code?: unknown;
  readonly name?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
/** Failures with no HTTP answer at all: the request may or may not have reached ECS. */
const NO_ANSWER = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
  'AbortError',
]);
const NO_ANSWER_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** `definite`: ECS refused, nothing happened; `ambiguous`: the call may have landed; null: do not retry. */
export function classify(error: unknown): 'definite' | 'ambiguous' | null {
  const failure = (error ?? {}) as AwsError;
  if (THROTTLING.has(failure.name ?? '') || failure.$retryable?.throttling === true) return 'definite';
  const status = failure.$metadata?.httpStatusCode;
  if (failure.$fault === 'server' || (status !== undefined && status >= 500)) return 'ambiguous';
  const code = failure.code;
  if (NO_ANSWER.has(failure.name ?? '') || (typeof code === 'string' && NO_ANSWER_CODES.has(code)))
    return 'ambiguous';
  return null;
}

export class EcsRedeployer implements Redeployer {
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  /** @param ecs a client making one attempt per call (`maxAttempts: 1`): the retries are this adapter's. */
  constructor(
    private readonly ecs: ECSClient,
    retry: RedeployRetry = {},
  ) {
    // Throttling must slow the work, not fail it: ten attempts wait up to about two and a half minutes.
    this.#attempts = retry.attempts ?? 10;
    this.#baseDelayMs = retry.baseDelayMs ?? 1000;
    this.#maxDelayMs = retry.maxDelayMs ?? 20_000;
    this.#now = retry.now ?? Date.now;
    this.#sleep = retry.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = retry.random ?? Math.random;
  }

  async redeploy(service: RedeployTarget, until?: number): Promise<{ deploymentId: string | null }> {
    // Where the scan did not say which deployments existed, look before acting. If even that look fails,
    // no deployment can be told to be ours: an ambiguous answer is then retried (at worst a redundant
    // deployment), never reported as done.
    const known =
      service.deploymentIds === undefined
        ? await this.#deploymentIdsOf(service).catch(() => null)
        : new Set(service.deploymentIds);
    const firstAttemptAt = this.#now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        // Only cluster and service: a task definition family would move the service to its latest revision.
        // The service by its ARN: a name is only as good as whoever wrote it.
        const answer = await this.ecs.send(
          new UpdateServiceCommand({
            cluster: service.clusterArn,
            service: service.serviceArn,
            forceNewDeployment: true,
          }),
        );
        const deployments = answer.service?.deployments ?? [];
        const primary = deployments.find((deployment) => deployment.status === 'PRIMARY') ?? deployments[0];
        return { deploymentId: primary?.id ?? null };
      } catch (error) {
        const kind = classify(error);
        if (kind === null || attempt >= this.#attempts) throw error;
        if (kind === 'ambiguous' && known !== null) {
          const landed = await this.#newDeployment(service, known, firstAttemptAt).catch(() => null);
          if (landed !== null) return { deploymentId: landed };
        }
        const delay = this.#random() * Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
        // A retry that would still be waiting when the caller's time is up is not begun: the caller hands the
        // service back to its queue instead of being cut off mid-wait.
        if (until !== undefined && this.#now() + delay >= until) throw error;
        await this.#sleep(delay);
      }
    }
  }

  async #describe(service: ServiceRef) {
    const answer = await this.ecs.send(
      new DescribeServicesCommand({ cluster: service.clusterArn, services: [service.serviceArn] }),
    );
    return answer.services?.[0]?.deployments ?? [];
  }

  async #deploymentIdsOf(service: ServiceRef): Promise<Set<string>> {
    return new Set((await this.#describe(service)).flatMap((deployment) => deployment.id ?? []));
  }

  /** The PRIMARY deployment, when it is new: unknown before the first attempt and created since it began. */
  async #newDeployment(
    service: ServiceRef,
    known: ReadonlySet<string>,
    firstAttemptAt: number,
  ): Promise<string | null> {
    const primary = (await this.#describe(service)).find((deployment) => deployment.status === 'PRIMARY');
    const created = primary?.createdAt?.getTime();
    return primary?.id !== undefined &&
      !known.has(primary.id) &&
      created !== undefined &&
      created >= firstAttemptAt - CLOCK_SKEW_MS
      ? primary.id
      : null;
  }
}
