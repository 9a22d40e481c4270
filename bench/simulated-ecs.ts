/**
 * A simulated ECS API serving a synthetic account through the real SDK client stack (as its request
 * handler): the token buckets AWS documents for ECS per action (per account and Region, shared with every
 * caller), its page sizes and a fixed latency per call. It counts every call by action, throttled ones apart.
 */
import type { BucketLimit } from '../functions/core/token-bucket.ts';
import { type EcsAnswer, ecsEndpoint } from './ecs-endpoint.ts';
import type { SyntheticAccount, SyntheticService, SyntheticTaskDefinition } from './synthetic-account.ts';

/** The account's buckets, as AWS documents them; deliberately not our client's pacing table. */
export const AWS_ECS_BUCKETS: Readonly<Record<string, BucketLimit>> = {
  ListClusters: { burst: 50, perSecond: 20 },
  DescribeClusters: { burst: 50, perSecond: 20 },
  ListServices: { burst: 100, perSecond: 20 },
  DescribeServices: { burst: 100, perSecond: 20 },
  DescribeTaskDefinition: { burst: 50, perSecond: 20 },
  UpdateService: { burst: 50, perSecond: 5 },
};

export const LIST_SERVICES_PAGE = { default: 10, max: 100 } as const;
export const LIST_CLUSTERS_PAGE = { default: 100, max: 100 } as const;
export const DESCRIBE_SERVICES_MAX = 10;
export const DEFAULT_LATENCY_MS = 20;

/** How the simulator answered one action. */
export interface CallCount {
  /** Served (HTTP 200). */
  answered: number;
  /** Refused with ThrottlingException because the action's bucket was empty. */
  throttled: number;
  /** Refused for a bad request (InvalidParameterException, unknown service...). */
  refused: number;
}

export interface SimulatedEcsOptions {
  readonly latencyMs?: number;
  readonly buckets?: Readonly<Record<string, BucketLimit>>;
  /** Milliseconds; looked up on each call so a clock faked after construction is honoured. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * AWS's side of a bucket: a call takes a token or is refused at once; refused calls take none.
 * Refills are computed in whole virtual milliseconds, so the sum can land a hair under a whole token.
 */
class RejectingBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly limit: BucketLimit,
    now: number,
  ) {
    this.#tokens = limit.burst;
    this.#updatedAt = now;
  }

  tryTake(now: number): boolean {
    this.#tokens = Math.min(
      this.limit.burst,
      this.#tokens + ((now - this.#updatedAt) * this.limit.perSecond) / 1000,
    );
    this.#updatedAt = now;
    if (this.#tokens < 1 - 1e-9) return false;
    this.#tokens -= 1;
    return true;
  }
}

const THROTTLED = { error: 'ThrottlingException', message: 'Rate exceeded', status: 400 } as const;

/** What the simulator enforces, in words for the results, with the numbers it enforces. */
export function describeSimulatedApi(): string {
  return `It enforces AWS's documented buckets per action and refuses a call with \`${THROTTLED.error}\` (HTTP ${THROTTLED.status}) when its bucket is empty; ListServices pages ${LIST_SERVICES_PAGE.default} by default, at most ${LIST_SERVICES_PAGE.max}; ListClusters ${LIST_CLUSTERS_PAGE.max}; DescribeServices takes at most ${DESCRIBE_SERVICES_MAX} services.`;
}
const invalid = (message: string): EcsAnswer => ({
  error: 'InvalidParameterException',
  message,
  status: 400,
});

/** Page tokens are opaque to callers; here, the offset of the next item. */
const pageToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');
function offsetOf(token: unknown): number | null {
  if (token === undefined || token === null) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(String(token), 'base64').toString());
  return match === null ? null : Number(match[1]);
}

function page<T>(
  items: readonly T[],
  input: Record<string, unknown>,
  limits: { readonly default: number; readonly max: number },
): { items: T[]; nextToken?: string } | EcsAnswer {
  const size = input.maxResults === undefined ? limits.default : Number(input.maxResults);
  if (!Number.isInteger(size) || size < 1 || size > limits.max) {
    return invalid(`maxResults must be between 1 and ${limits.max}`);
  }
  const offset = offsetOf(input.nextToken);
  if (offset === null) return invalid('Invalid nextToken');
  const end = offset + size;
  return end < items.length
    ? { items: items.slice(offset, end), nextToken: pageToken(end) }
    : { items: items.slice(offset) };
}

const isAnswer = (value: object): value is EcsAnswer => 'ok' in value || 'error' in value;
const nameOf = (nameOrArn: string) => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
const EPOCH_SECONDS = 1_735_689_600;

/** `deployedAt`: epoch seconds of the PRIMARY deployment (the last UpdateService, or the account's start). */
function describedService(
  service: SyntheticService,
  cluster: string,
  updates: number,
  deployedAt = EPOCH_SECONDS,
) {
  const deploymentId = `ecs-svc/${service.name}-${updates}`;
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    taskDefinition: service.taskDefinitionArn,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    },
    deployments: [
      {
        id: deploymentId,
        status: 'PRIMARY',
        taskDefinition: service.taskDefinitionArn,
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        createdAt: deployedAt,
        updatedAt: deployedAt,
        launchType: 'FARGATE',
        rolloutState: 'COMPLETED',
      },
    ],
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
        securityGroups: ['sg-0123abcd'],
        assignPublicIp: 'DISABLED',
      },
    },
    events: [
      {
        id: `${service.name}-e1`,
        createdAt: EPOCH_SECONDS,
        message: `(service ${service.name}) has reached a steady state.`,
      },
      {
        id: `${service.name}-e2`,
        createdAt: EPOCH_SECONDS - 21_600,
        message: `(service ${service.name}) has reached a steady state.`,
      },
    ],
    createdAt: EPOCH_SECONDS - 86_400,
    schedulingStrategy: 'REPLICA',
    tags: [
      { key: 'team', value: `team-${cluster}` },
      { key: 'env', value: 'prod' },
    ],
    propagateTags: 'NONE',
    enableECSManagedTags: true,
    enableExecuteCommand: false,
  };
}

function describedTaskDefinition(taskDefinition: SyntheticTaskDefinition) {
  const names = ['app', 'log-router', 'sidecar'];
  return {
    taskDefinitionArn: taskDefinition.arn,
    family: taskDefinition.family,
    revision: taskDefinition.revision,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    executionRoleArn: `arn:aws:iam::123456789012:role/${taskDefinition.family}-execution`,
    containerDefinitions: taskDefinition.secretsByContainer.map((valueFroms, index) => ({
      name: names[index] ?? `container-${index}`,
      image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${taskDefinition.family}:${taskDefinition.revision}`,
      essential: index === 0,
      portMappings: index === 0 ? [{ containerPort: 8080, protocol: 'tcp' }] : [],
      environment: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'SERVICE_NAME', value: taskDefinition.family },
      ],
      secrets: valueFroms.map((valueFrom, position) => ({ name: `SECRET_${position}`, valueFrom })),
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': `/ecs/${taskDefinition.family}`,
          'awslogs-region': 'us-east-1',
          'awslogs-stream-prefix': 'ecs',
        },
      },
    })),
  };
}

export interface SimulatorStats {
  readonly calls: Readonly<Record<string, CallCount>>;
  /** UpdateService answered, by service ARN: more than 1 is a duplicate redeploy. */
  readonly updatesByService: ReadonlyMap<string, number>;
  /** Virtual ms when the first and last successful UpdateService was answered; null when none was. */
  readonly firstUpdateAt: number | null;
  readonly lastUpdateAt: number | null;
  /** Virtual ms when the last read (any action but UpdateService) was answered. */
  readonly lastReadAt: number | null;
  /** Virtual ms when each action was last served. */
  readonly lastServedAt: Readonly<Record<string, number>>;
}

export class SimulatedEcs {
  readonly #account: SyntheticAccount;
  readonly #latencyMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #buckets: Map<string, RejectingBucket>;
  readonly #clusters: Map<
    string,
    { name: string; services: readonly SyntheticService[]; byName: Map<string, SyntheticService> }
  >;
  #calls = new Map<string, CallCount>();
  #updates = new Map<string, number>();
  /** When each service's current PRIMARY deployment was made, in epoch seconds. */
  #deployedAt = new Map<string, number>();
  #firstUpdateAt: number | null = null;
  #lastUpdateAt: number | null = null;
  #lastReadAt: number | null = null;
  #lastServedAt = new Map<string, number>();

  /** Plug into `new ECSClient({ requestHandler })`. */
  readonly requestHandler = ecsEndpoint((action, input) => this.answer(action, input));

  constructor(account: SyntheticAccount, options: SimulatedEcsOptions = {}) {
    this.#account = account;
    this.#latencyMs = options.latencyMs ?? DEFAULT_LATENCY_MS;
    this.#now = options.now ?? (() => Date.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const started = this.#now();
    this.#buckets = new Map(
      Object.entries(options.buckets ?? AWS_ECS_BUCKETS).map(([action, limit]) => [
        action,
        new RejectingBucket(limit, started),
      ]),
    );
    this.#clusters = new Map();
    for (const cluster of account.clusters) {
      const entry = {
        name: cluster.name,
        services: cluster.services,
        byName: new Map(cluster.services.map((s) => [s.name, s])),
      };
      // A cluster is named by its ARN or its name.
      this.#clusters.set(cluster.arn, entry);
      this.#clusters.set(cluster.name, entry);
    }
  }

  /** One call: the bucket is checked on arrival, the answer comes back after the latency. */
  async answer(action: string, input: Record<string, unknown>): Promise<EcsAnswer> {
    const count = this.#calls.get(action) ?? { answered: 0, throttled: 0, refused: 0 };
    this.#calls.set(action, count);
    const bucket = this.#buckets.get(action);
    let answer: EcsAnswer;
    if (bucket !== undefined && !bucket.tryTake(this.#now())) {
      count.throttled += 1;
      answer = THROTTLED;
    } else {
      answer = this.#serve(action, input);
      if ('ok' in answer) count.answered += 1;
      else count.refused += 1;
    }
    if (this.#latencyMs > 0) await this.#sleep(this.#latencyMs);
    const answeredAt = this.#now();
    if ('ok' in answer) this.#lastServedAt.set(action, answeredAt);
    if (action === 'UpdateService') {
      if ('ok' in answer) {
        this.#firstUpdateAt ??= answeredAt;
        this.#lastUpdateAt = answeredAt;
      }
    } else {
      this.#lastReadAt = answeredAt;
    }
    return answer;
  }

  /** Counters for one run: call before each. Buckets are the account's and are never reset. */
  resetStats(): void {
    this.#calls = new Map();
    this.#updates = new Map();
    this.#firstUpdateAt = null;
    this.#lastUpdateAt = null;
    this.#lastReadAt = null;
    this.#lastServedAt = new Map();
  }

  get stats(): SimulatorStats {
    return {
      calls: Object.fromEntries([...this.#calls].map(([action, count]) => [action, { ...count }])),
      updatesByService: new Map(this.#updates),
      firstUpdateAt: this.#firstUpdateAt,
      lastUpdateAt: this.#lastUpdateAt,
      lastReadAt: this.#lastReadAt,
      lastServedAt: Object.fromEntries(this.#lastServedAt),
    };
  }

  #serve(action: string, input: Record<string, unknown>): EcsAnswer {
    switch (action) {
      case 'ListClusters': {
        const listed = page(this.#account.clusters, input, LIST_CLUSTERS_PAGE);
        if (isAnswer(listed)) return listed;
        return {
          ok: { clusterArns: listed.items.map((cluster) => cluster.arn), nextToken: listed.nextToken },
        };
      }
      case 'ListServices': {
        const cluster = this.#clusters.get(String(input.cluster ?? 'default'));
        if (cluster === undefined)
          return { error: 'ClusterNotFoundException', message: 'Cluster not found.' };
        const listed = page(cluster.services, input, LIST_SERVICES_PAGE);
        if (isAnswer(listed)) return listed;
        return {
          ok: { serviceArns: listed.items.map((service) => service.arn), nextToken: listed.nextToken },
        };
      }
      case 'DescribeServices':
        return this.#describeServices(input);
      case 'DescribeTaskDefinition': {
        const taskDefinition = this.#account.taskDefinitions.get(String(input.taskDefinition));
        if (taskDefinition === undefined)
          return { error: 'ClientException', message: 'Unable to describe task definition.' };
        return { ok: { taskDefinition: describedTaskDefinition(taskDefinition), tags: [] } };
      }
      case 'UpdateService':
        return this.#updateService(input);
      default:
        return { error: 'UnknownOperationException', message: `${action} is not simulated` };
    }
  }

  #describeServices(input: Record<string, unknown>): EcsAnswer {
    const cluster = this.#clusters.get(String(input.cluster ?? 'default'));
    if (cluster === undefined) return { error: 'ClusterNotFoundException', message: 'Cluster not found.' };
    const asked = Array.isArray(input.services) ? input.services.map(String) : [];
    if (asked.length < 1 || asked.length > DESCRIBE_SERVICES_MAX) {
      return invalid(`services can have between 1 and ${DESCRIBE_SERVICES_MAX} items`);
    }
    const services = [];
    const failures = [];
    for (const nameOrArn of asked) {
      const service = cluster.byName.get(nameOf(nameOrArn));
      if (service === undefined) failures.push({ arn: nameOrArn, reason: 'MISSING' });
      else
        services.push(
          describedService(
            service,
            cluster.name,
            this.#updates.get(service.arn) ?? 0,
            this.#deployedAt.get(service.arn),
          ),
        );
    }
    return { ok: { services, failures } };
  }

  #updateService(input: Record<string, unknown>): EcsAnswer {
    const cluster = this.#clusters.get(String(input.cluster ?? 'default'));
    if (cluster === undefined) return { error: 'ClusterNotFoundException', message: 'Cluster not found.' };
    const service = cluster.byName.get(nameOf(String(input.service)));
    if (service === undefined) return { error: 'ServiceNotFoundException', message: 'Service not found.' };
    const updates = (this.#updates.get(service.arn) ?? 0) + 1;
    this.#updates.set(service.arn, updates);
    this.#deployedAt.set(service.arn, this.#now() / 1000);
    const described = describedService(service, cluster.name, updates, this.#deployedAt.get(service.arn));
    return {
      ok: {
        service: {
          ...described,
          deployments: [
            { ...described.deployments[0], status: 'PRIMARY', rolloutState: 'IN_PROGRESS', runningCount: 0 },
            {
              id: `ecs-svc/${service.name}-${updates - 1}`,
              status: 'ACTIVE',
              taskDefinition: service.taskDefinitionArn,
            },
          ],
        },
      },
    };
  }
}
