/**
 * A synthetic ECS account for the benchmark: N services spread evenly over C clusters, 20% as many
 * distinct task definitions as services, 1% of the services referencing the changed secret. The same
 * shape and seed always give the same account.
 */

export interface AccountShape {
  readonly services: number;
  readonly clusters: number;
  /** The secret whose rotation the benchmark announces; 1% of the services reference it. */
  readonly changedSecretArn: string;
  readonly seed?: number;
}

export interface SyntheticService {
  readonly arn: string;
  readonly name: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
}

export interface SyntheticCluster {
  readonly arn: string;
  readonly name: string;
  readonly services: readonly SyntheticService[];
}

/** What a task definition references; the simulator dresses it up as a DescribeTaskDefinition answer. */
export interface SyntheticTaskDefinition {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  /** `valueFrom` of each container's `secrets`, one list per container. */
  readonly secretsByContainer: readonly (readonly string[])[];
}

export interface SyntheticAccount {
  readonly region: string;
  readonly accountId: string;
  readonly clusters: readonly SyntheticCluster[];
  readonly taskDefinitions: ReadonlyMap<string, SyntheticTaskDefinition>;
  /** The services a correct scan redeploys. */
  readonly matchingServiceArns: ReadonlySet<string>;
}

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';
export const SHARE_OF_TASK_DEFINITIONS = 0.2;
export const SHARE_OF_MATCHING_SERVICES = 0.01;

/** The shape of every synthetic account, in words for the results, with the shares it is built with. */
export function describeAccountShape(): string {
  return `N services spread evenly over C clusters, ${SHARE_OF_TASK_DEFINITIONS * 100}% as many distinct task definitions as services, ${SHARE_OF_MATCHING_SERVICES * 100}% of services referencing the rotated secret (\`secrets[].valueFrom\`, whole secret or one JSON key); the others reference other secrets and parameters, some a secret whose name starts like the rotated one.`;
}

/** The most services that share one task definition referencing the changed secret. */
const SERVICES_PER_MATCHING_TASK_DEFINITION = 5;

/** mulberry32: small, seedable, good enough to shuffle an account. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(count: number, next: () => number): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  for (let index = count - 1; index > 0; index -= 1) {
    const other = Math.floor(next() * (index + 1));
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  return order;
}

const pad = (value: number) => String(value).padStart(5, '0');
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const suffix = (next: () => number) =>
  Array.from({ length: 6 }, () => SUFFIX_CHARS[Math.floor(next() * SUFFIX_CHARS.length)]).join('');

const secretArn = (id: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${id}`;
const parameterArn = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/${name}`;

/** A task definition that does not use the changed secret, though some use one whose name starts like it. */
function otherTaskDefinition(index: number, next: () => number): SyntheticTaskDefinition {
  const family = `app-${pad(index)}`;
  const app = [secretArn(`prod/${family}/api-key-${suffix(next)}`), parameterArn(`prod/${family}/url`)];
  if (index % 20 === 0) app.push(secretArn(`prod/db-password-replica-${suffix(next)}`));
  if (index % 3 === 0) app.push(`/prod/${family}/feature-flags`);
  const revision = 1 + Math.floor(next() * 40);
  return {
    arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`,
    family,
    revision,
    secretsByContainer: [app, [secretArn(`prod/shared/datadog-api-key-Qw12Er`)]],
  };
}

function matchingTaskDefinition(
  index: number,
  changedSecretArn: string,
  next: () => number,
): SyntheticTaskDefinition {
  const family = `db-app-${pad(index)}`;
  // Both forms ECS accepts: the whole secret, and one JSON key of it.
  const changed = index % 2 === 0 ? changedSecretArn : `${changedSecretArn}:password::`;
  const revision = 1 + Math.floor(next() * 40);
  return {
    arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`,
    family,
    revision,
    secretsByContainer: [
      [changed, parameterArn(`prod/${family}/url`)],
      [secretArn(`prod/shared/datadog-api-key-Qw12Er`)],
    ],
  };
}

export function syntheticAccount(shape: AccountShape): SyntheticAccount {
  const { services, clusters } = shape;
  if (!Number.isInteger(services) || !Number.isInteger(clusters) || clusters < 1 || services < clusters) {
    throw new RangeError(
      `an account needs whole numbers with services >= clusters >= 1, got ${JSON.stringify(shape)}`,
    );
  }
  const next = random(shape.seed ?? 20251105);
  const matches = Math.max(1, Math.round(services * SHARE_OF_MATCHING_SERVICES));
  const taskDefinitionCount = Math.max(2, Math.round(services * SHARE_OF_TASK_DEFINITIONS));
  const matchingTaskDefinitionCount = Math.min(
    taskDefinitionCount - 1,
    Math.ceil(matches / SERVICES_PER_MATCHING_TASK_DEFINITION),
  );

  const matching = Array.from({ length: matchingTaskDefinitionCount }, (_, index) =>
    matchingTaskDefinition(index, shape.changedSecretArn, next),
  );
  const others = Array.from({ length: taskDefinitionCount - matchingTaskDefinitionCount }, (_, index) =>
    otherTaskDefinition(index, next),
  );
  // Services in a random order: the first `matches` get the matching task definitions, the rest the
  // others, round robin, so every task definition is used and matches land in any cluster.
  const order = shuffled(services, next);
  const taskDefinitionOf = new Array<SyntheticTaskDefinition>(services);
  order.forEach((serviceIndex, position) => {
    taskDefinitionOf[serviceIndex] =
      position < matches
        ? (matching[position % matching.length] as SyntheticTaskDefinition)
        : (others[(position - matches) % others.length] as SyntheticTaskDefinition);
  });

  const clusterList = Array.from({ length: clusters }, (_, index) => {
    const name = `cluster-${pad(index)}`;
    return {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${name}`,
      name,
      services: [] as SyntheticService[],
    };
  });
  const matchingServiceArns = new Set<string>();
  for (let index = 0; index < services; index += 1) {
    const cluster = clusterList[index % clusters] as (typeof clusterList)[number];
    const name = `svc-${pad(index)}`;
    const taskDefinition = taskDefinitionOf[index] as SyntheticTaskDefinition;
    const service = {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${cluster.name}/${name}`,
      name,
      clusterArn: cluster.arn,
      taskDefinitionArn: taskDefinition.arn,
    };
    cluster.services.push(service);
    if (matching.includes(taskDefinition)) matchingServiceArns.add(service.arn);
  }

  return {
    region: REGION,
    accountId: ACCOUNT_ID,
    clusters: clusterList,
    taskDefinitions: new Map(
      [...matching, ...others].map((taskDefinition) => [taskDefinition.arn, taskDefinition]),
    ),
    matchingServiceArns,
  };
}
