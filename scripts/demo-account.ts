/**
 * The small account `npm start` (scripts/local-demo.ts) plays on: one secret, one parameter, three clusters
 * and services that read them in the forms ECS accepts, next to services that must be left alone. Seeded
 * through the AWS SDK, so the same code works against any emulator that speaks the AWS APIs.
 *
 * Cluster names are chosen so that none ends with another: moto's ListServices matches cluster names by
 * substring (test/support/MOTO-NOTES.md).
 */
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SkipReason } from '../functions/core/decide.ts';

export type ClusterRole = 'payments' | 'storefront' | 'reporting';
export const CLUSTER_ROLES: readonly ClusterRole[] = ['payments', 'storefront', 'reporting'];

export interface DemoNames {
  /** Appended to cluster, task definition family, table and queue names: empty on the demo's own emulator. */
  readonly suffix: string;
  readonly clusters: Readonly<Record<ClusterRole, string>>;
  readonly secret: string;
  readonly parameter: string;
  readonly table: string;
  readonly queue: string;
}

/**
 * The names the demo creates. On its own emulator they read like production names; on an emulator the
 * user runs (`AWS_ENDPOINT_URL`) a run id keeps them apart from what earlier runs left there.
 */
export function demoNames(runId: string | null): DemoNames {
  const suffix = runId === null ? '' : `-${runId}`;
  const prefix = runId === null ? 'prod' : `demo-${runId}`;
  return {
    suffix,
    clusters: {
      payments: `payments${suffix}`,
      storefront: `storefront${suffix}`,
      reporting: `reporting${suffix}`,
    },
    secret: `${prefix}/db-password`,
    parameter: `/${prefix}/api/url`,
    table: `rotation-redeploy-state${suffix}`,
    queue: `rotation-redeploy-redeploys${suffix}`,
  };
}

/** How a seeded service's task definition names the secret and the parameter. */
export interface References {
  /** Full ARN, with the six characters Secrets Manager appended to the name. */
  readonly secretArn: string;
  /** The same ARN without those six characters (a partial ARN). */
  readonly secretPartialArn: string;
  /** The secret's first version, the one a pinned reference keeps reading. */
  readonly firstVersionId: string;
  readonly parameterName: string;
  readonly parameterArn: string;
}

/** What should happen to a service by the end of the demo: the skip reasons are the reports' own. */
export type Expected = 'redeployed' | SkipReason | 'not a user';

export interface DemoService {
  readonly name: string;
  readonly cluster: ClusterRole;
  /** What it reads, or why it is special, in a few words. */
  readonly note: string;
  readonly expected: Expected;
  readonly desiredCount?: number;
  readonly tags?: Readonly<Record<string, string>>;
  readonly deploymentController?: 'CODE_DEPLOY';
  containers(refs: References): ContainerDefinition[];
}

const IMAGE = 'public.ecr.aws/docker/library/busybox:latest';

function container(
  name: string,
  options: {
    secrets?: Record<string, string>;
    environment?: Record<string, string>;
    essential?: boolean;
  } = {},
): ContainerDefinition {
  return {
    name,
    image: IMAGE,
    essential: options.essential ?? true,
    memory: 128,
    ...(options.secrets && {
      secrets: Object.entries(options.secrets).map(([variable, valueFrom]) => ({
        name: variable,
        valueFrom,
      })),
    }),
    ...(options.environment && {
      environment: Object.entries(options.environment).map(([variable, value]) => ({
        name: variable,
        value,
      })),
    }),
  };
}

export const DEMO_SERVICES: readonly DemoService[] = [
  {
    name: 'checkout-api',
    cluster: 'payments',
    note: 'secret by full ARN + parameter by name',
    expected: 'redeployed',
    containers: (refs) => [
      container('app', { secrets: { DB_PASSWORD: refs.secretArn, API_URL: refs.parameterName } }),
    ],
  },
  {
    name: 'ledger',
    cluster: 'payments',
    note: 'secret by partial ARN, JSON key "password"',
    expected: 'redeployed',
    containers: (refs) => [
      container('app', { secrets: { DB_PASSWORD: `${refs.secretPartialArn}:password::` } }),
    ],
  },
  {
    name: 'refunds',
    cluster: 'payments',
    note: 'secret pinned to its first version id',
    expected: 'pinned-version',
    containers: (refs) => [
      container('app', { secrets: { DB_PASSWORD: `${refs.secretArn}:::${refs.firstVersionId}` } }),
    ],
  },
  {
    name: 'fraud-check',
    cluster: 'payments',
    note: 'secret by full ARN, tagged rotation-redeploy=off',
    expected: 'opted-out',
    tags: { 'rotation-redeploy': 'off', team: 'risk' },
    containers: (refs) => [container('app', { secrets: { DB_PASSWORD: refs.secretArn } })],
  },
  {
    name: 'web',
    cluster: 'storefront',
    note: 'secret read by a sidecar (pgbouncer)',
    expected: 'redeployed',
    containers: (refs) => [
      container('web', { environment: { PORT: '8080' } }),
      container('pgbouncer', { secrets: { DB_PASSWORD: refs.secretArn }, essential: false }),
    ],
  },
  {
    name: 'search',
    cluster: 'storefront',
    note: 'parameter by ARN',
    expected: 'redeployed',
    containers: (refs) => [container('app', { secrets: { API_URL: refs.parameterArn } })],
  },
  {
    name: 'storefront-canary',
    cluster: 'storefront',
    note: 'secret by full ARN, CODE_DEPLOY (blue/green) deployments',
    expected: 'deployment-controller',
    deploymentController: 'CODE_DEPLOY',
    containers: (refs) => [container('app', { secrets: { DB_PASSWORD: refs.secretArn } })],
  },
  {
    name: 'audit-log',
    cluster: 'reporting',
    note: 'secret in the log driver’s secretOptions',
    expected: 'redeployed',
    containers: (refs) => [
      {
        ...container('app', { environment: { LOG_FORMAT: 'json' } }),
        logConfiguration: {
          logDriver: 'splunk',
          options: { 'splunk-url': 'https://splunk.internal.example:8088' },
          secretOptions: [{ name: 'splunk-token', valueFrom: refs.secretArn }],
        },
      },
    ],
  },
  {
    name: 'report-archiver',
    cluster: 'reporting',
    note: 'secret pinned to the AWSPREVIOUS label',
    expected: 'redeployed',
    containers: (refs) => [
      container('app', { secrets: { OLD_DB_PASSWORD: `${refs.secretArn}::AWSPREVIOUS:` } }),
    ],
  },
  {
    name: 'nightly-report',
    cluster: 'reporting',
    note: 'secret by full ARN, scaled to zero (desiredCount 0)',
    expected: 'scaled-to-zero',
    desiredCount: 0,
    containers: (refs) => [container('app', { secrets: { DB_PASSWORD: refs.secretArn } })],
  },
  {
    name: 'status-page',
    cluster: 'reporting',
    note: 'reads neither (plain environment only)',
    expected: 'not a user',
    containers: () => [container('app', { environment: { STATUS: 'green' } })],
  },
];

export interface DemoClients {
  readonly ecs: ECSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export interface SeededService extends DemoService {
  readonly clusterName: string;
  readonly serviceArn: string;
}

export interface SeededAccount {
  readonly account: string;
  readonly region: string;
  readonly refs: References;
  readonly services: readonly SeededService[];
  readonly queueUrl: string;
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`the emulator's answer has no ${what}`);
  return value;
}

/**
 * Creates everything; `secretValue` and `parameterValue` are the first values (never printed).
 * The account and Region are read from the secret's ARN, so any emulator's default account works.
 */
export async function seedDemoAccount(
  clients: DemoClients,
  names: DemoNames,
  values: { secret: string; parameter: string },
): Promise<SeededAccount> {
  const secret = await clients.secretsManager.send(
    new CreateSecretCommand({
      Name: names.secret,
      Description: 'Database password shared by the demo services',
      SecretString: values.secret,
    }),
  );
  const secretArn = required(secret.ARN, 'secret ARN');
  const [, partition = 'aws', , region = '', account = ''] = secretArn.split(':');
  await clients.ssm.send(
    new PutParameterCommand({
      Name: names.parameter,
      Value: values.parameter,
      Type: 'String',
      Overwrite: true,
    }),
  );
  const refs: References = {
    secretArn,
    secretPartialArn: `arn:${partition}:secretsmanager:${region}:${account}:secret:${names.secret}`,
    firstVersionId: required(secret.VersionId, 'secret VersionId'),
    parameterName: names.parameter,
    parameterArn: `arn:${partition}:ssm:${region}:${account}:parameter${names.parameter}`,
  };

  for (const role of CLUSTER_ROLES) {
    await clients.ecs.send(new CreateClusterCommand({ clusterName: names.clusters[role] }));
  }
  const services: SeededService[] = [];
  for (const service of DEMO_SERVICES) {
    const clusterName = names.clusters[service.cluster];
    const family = `${service.name}${names.suffix}`;
    const definition = await clients.ecs.send(
      new RegisterTaskDefinitionCommand({ family, containerDefinitions: service.containers(refs) }),
    );
    const created = await clients.ecs.send(
      new CreateServiceCommand({
        cluster: clusterName,
        serviceName: service.name,
        taskDefinition: required(definition.taskDefinition?.taskDefinitionArn, 'taskDefinitionArn'),
        desiredCount: service.desiredCount ?? 2,
        ...(service.tags && {
          tags: Object.entries(service.tags).map(([key, value]) => ({ key, value })),
        }),
        ...(service.deploymentController && {
          deploymentController: { type: service.deploymentController },
        }),
      }),
    );
    services.push({
      ...service,
      clusterName,
      serviceArn: required(created.service?.serviceArn, 'serviceArn'),
    });
  }

  // The deployed shape: the state table (once per change, pending redeploys) and the redeploy queue.
  await createStateTable(clients.dynamodb, names.table);
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.queue,
      Attributes: { VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS) },
    }),
  );
  return { account, region, refs, services, queueUrl: required(queue.QueueUrl, 'QueueUrl') };
}

/** The state table as the stack makes it: key `id`, TTL on `expiration`. */
export async function createStateTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    }),
  );
}

/** The stack's redeploy queue: six times the worker's two-minute timeout (infra WORKER_SETTINGS). */
export const VISIBILITY_TIMEOUT_SECONDS = 720;
