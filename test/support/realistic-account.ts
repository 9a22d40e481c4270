/**
 * One emulated account holding every reference form the tool must understand (a secret's full or partial
 * ARN or name, with a JSON key, a staging label or a version id; a parameter's ARN or name; in container
 * secrets, log driver secret options and repository credentials) and every trap around them, seeded
 * through the real SDK:
 *
 *   const account = await seedRealisticAccount(seeder(moto.endpoint));
 *   account.services['partial-arn'].arn
 *
 * Each service is named after its role. Cluster names are chosen so that none ends with another: moto's
 * ListServices matches cluster names by substring (see MOTO-NOTES.md).
 */
import { DeleteServiceCommand, DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from './moto.ts';
import type { ContainerSeed, DeploymentControllerType, Seeder } from './seed.ts';

export const SECRET_NAME = 'prod/db-password';
/** Its name starts with SECRET_NAME followed by `-`: a prefix test would take it for the secret. */
export const ADMIN_SECRET_NAME = 'prod/db-password-admin';
export const PARAMETER_NAME = '/prod/api/url';
export const PLAIN_PARAMETER_NAME = 'FEATURE_FLAGS';
export const OTHER_REGION = 'eu-west-1';
/** An account no seeded account uses: ARNs of the same names there are other secrets and parameters. */
export const OTHER_ACCOUNT = '210987654321';
export const OPT_TAG = 'rotation-redeploy';

export const CLUSTERS = ['payments', 'web', 'batch-jobs'] as const;
export type Cluster = (typeof CLUSTERS)[number];

export const ROLES = [
  // The secret, in every form ECS accepts.
  'full-arn',
  'shared-task-definition',
  'partial-arn',
  'json-key',
  'pinned-previous',
  'pinned-blue',
  'pinned-version',
  'log-secret-options',
  'sidecar',
  'repository-credentials-arn',
  'repository-credentials-name',
  'two-containers',
  // The parameter, in every form ECS accepts.
  'parameter-by-path',
  'parameter-by-name',
  'parameter-by-arn',
  'feature-flags',
  'feature-flags-slash',
  // Services that use the secret and the parameters but must not be redeployed.
  'opted-out',
  'code-deploy',
  'external',
  'scaled-to-zero',
  // Services that must never appear: look-alikes of the secret or parameter.
  'admin-secret',
  'other-region',
  'other-account',
  'environment-only',
  'old-revision',
  'deleted',
] as const;
export type Role = (typeof ROLES)[number];

export interface SeededService {
  readonly role: Role;
  readonly cluster: Cluster;
  /** The service name, which is its role. */
  readonly name: string;
  readonly arn: string;
  readonly clusterArn: string;
  /** The service's current task definition. */
  readonly taskDefinitionArn: string;
  /** false for the service deleted after it was created (ListServices in moto still returns it). */
  readonly active: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

export interface SeededSecret {
  readonly name: string;
  /** Full ARN: name, `-` and the six characters moto picked. */
  readonly arn: string;
  /** The ARN without the six-character suffix. */
  readonly partialArn: string;
}

export interface RealisticAccount {
  readonly id: string;
  readonly region: string;
  /** `/prod/api/url` */
  readonly parameterArn: string;
  /** `FEATURE_FLAGS` */
  readonly plainParameterArn: string;
  /** `/prod/api/url` in another Region: a different parameter. */
  readonly otherRegionParameterArn: string;
  readonly secret: SeededSecret & {
    /** The version the secret was created with; `pinned-version` pins it. */
    readonly initialVersionId: string;
  };
  readonly adminSecret: SeededSecret;
  readonly services: Readonly<Record<Role, SeededService>>;
  readonly clusterArns: Readonly<Record<Cluster, string>>;
  /** The role of a service ARN, or undefined for a service this account did not seed. */
  roleOf(serviceArn: string): Role | undefined;
  /** `deployments[0].id` of every seeded service; null where ECS shows none (CODE_DEPLOY, EXTERNAL). */
  deploymentIds(): Promise<Record<Role, string | null>>;
}

interface ServicePlan {
  readonly cluster: Cluster;
  readonly containers: ContainerSeed[];
  readonly tags?: Record<string, string>;
  readonly desiredCount?: number;
  readonly deploymentController?: DeploymentControllerType;
}

const partialArnOf = (arn: string) => arn.slice(0, -7);

/** Seeds clusters, secrets, parameters, task definitions and services; resolves once everything exists. */
export async function seedRealisticAccount(seed: Seeder): Promise<RealisticAccount> {
  const accountId = MOTO_ACCOUNT_ID;
  const { ecs, secretsManager } = seed.clients;
  const parameterArn = `arn:aws:ssm:${MOTO_REGION}:${accountId}:parameter/prod/api/url`;
  const otherRegionParameterArn = `arn:aws:ssm:${OTHER_REGION}:${accountId}:parameter/prod/api/url`;

  const clusterArns = {} as Record<Cluster, string>;
  for (const cluster of CLUSTERS) clusterArns[cluster] = await seed.createCluster(cluster);

  const created = await seed.createSecret(SECRET_NAME, '{"username":"app","password":"first"}');
  const secret = { name: SECRET_NAME, arn: created.arn, partialArn: partialArnOf(created.arn) };
  // The custom label BLUE sits on its own version, as a blue/green rollout would leave it.
  await secretsManager.send(
    new PutSecretValueCommand({
      SecretId: secret.arn,
      SecretString: '{"username":"app","password":"blue"}',
      VersionStages: ['BLUE'],
    }),
  );
  const admin = await seed.createSecret(ADMIN_SECRET_NAME, '{"username":"admin","password":"admin-first"}');
  const adminSecret = { name: ADMIN_SECRET_NAME, arn: admin.arn, partialArn: partialArnOf(admin.arn) };
  await seed.putParameter(PARAMETER_NAME, 'https://api.example.com/v1');
  await seed.putParameter(PLAIN_PARAMETER_NAME, 'checkout,search');

  const app = (secrets: ContainerSeed['secrets'], more: Partial<ContainerSeed> = {}): ContainerSeed => ({
    name: 'app',
    ...(secrets === undefined ? {} : { secrets }),
    environment: { LOG_LEVEL: 'info' },
    ...more,
  });
  // What the services that must be skipped read: the secret and both parameters.
  const everything = app([
    { name: 'DB_PASSWORD', valueFrom: secret.arn },
    { name: 'API_URL', valueFrom: PARAMETER_NAME },
    { name: 'FEATURE_FLAGS', valueFrom: PLAIN_PARAMETER_NAME },
  ]);

  const plans: Record<Exclude<Role, 'shared-task-definition'>, ServicePlan> = {
    'full-arn': {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD', valueFrom: secret.arn }])],
      tags: { [OPT_TAG]: 'on', team: 'payments' },
    },
    'partial-arn': {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD', valueFrom: secret.partialArn }])],
    },
    'json-key': {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD', valueFrom: `${secret.arn}:password::` }])],
      tags: { [OPT_TAG]: 'on' },
    },
    'pinned-previous': {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD_PREVIOUS', valueFrom: `${secret.partialArn}::AWSPREVIOUS:` }])],
    },
    'pinned-blue': {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD', valueFrom: `${secret.arn}::BLUE:` }])],
      tags: { [OPT_TAG]: 'on' },
    },
    'pinned-version': {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD', valueFrom: `${secret.partialArn}:::${created.versionId}` }])],
    },
    'log-secret-options': {
      cluster: 'web',
      containers: [app(undefined, { secretOptions: [{ name: 'apikey', valueFrom: secret.arn }] })],
    },
    sidecar: {
      cluster: 'web',
      containers: [
        app(undefined, { environment: { LOG_LEVEL: 'info', UPSTREAM: 'localhost:9000' } }),
        { name: 'envoy', secrets: [{ name: 'DB_PASSWORD', valueFrom: secret.partialArn }] },
      ],
    },
    'repository-credentials-arn': {
      cluster: 'web',
      containers: [
        app(undefined, { image: 'registry.example.com/team/app:1', repositoryCredentials: secret.arn }),
      ],
    },
    'repository-credentials-name': {
      cluster: 'web',
      containers: [
        app(undefined, { image: 'registry.example.com/team/app:1', repositoryCredentials: SECRET_NAME }),
      ],
    },
    'two-containers': {
      cluster: 'payments',
      containers: [
        app([{ name: 'DB_PASSWORD', valueFrom: secret.arn }]),
        { name: 'migrate', secrets: [{ name: 'DB_PASSWORD', valueFrom: `${secret.partialArn}:password::` }] },
      ],
    },
    'parameter-by-path': {
      cluster: 'web',
      containers: [app([{ name: 'API_URL', valueFrom: PARAMETER_NAME }])],
    },
    'parameter-by-name': {
      cluster: 'web',
      containers: [app([{ name: 'API_URL', valueFrom: 'prod/api/url' }])],
    },
    'parameter-by-arn': {
      cluster: 'web',
      containers: [app(undefined, { secretOptions: [{ name: 'endpoint', valueFrom: parameterArn }] })],
      tags: { [OPT_TAG]: 'on' },
    },
    'feature-flags': {
      cluster: 'batch-jobs',
      containers: [app([{ name: 'FEATURE_FLAGS', valueFrom: PLAIN_PARAMETER_NAME }])],
    },
    'feature-flags-slash': {
      cluster: 'batch-jobs',
      containers: [app([{ name: 'FEATURE_FLAGS', valueFrom: `/${PLAIN_PARAMETER_NAME}` }])],
    },
    'opted-out': {
      cluster: 'payments',
      containers: [everything],
      tags: { [OPT_TAG]: 'off', team: 'payments' },
    },
    'code-deploy': { cluster: 'payments', containers: [everything], deploymentController: 'CODE_DEPLOY' },
    external: { cluster: 'batch-jobs', containers: [everything], deploymentController: 'EXTERNAL' },
    'scaled-to-zero': { cluster: 'batch-jobs', containers: [everything], desiredCount: 0 },
    'admin-secret': {
      cluster: 'payments',
      containers: [
        app([
          { name: 'ADMIN_PASSWORD', valueFrom: adminSecret.arn },
          { name: 'ADMIN_USER', valueFrom: `${adminSecret.partialArn}:username::` },
        ]),
        { name: 'pull', repositoryCredentials: ADMIN_SECRET_NAME },
      ],
      tags: { [OPT_TAG]: 'on' },
    },
    'other-region': {
      cluster: 'batch-jobs',
      containers: [
        app([
          { name: 'API_URL', valueFrom: otherRegionParameterArn },
          {
            name: 'DB_PASSWORD',
            valueFrom: `arn:aws:secretsmanager:${OTHER_REGION}:${accountId}:secret:${SECRET_NAME}`,
          },
        ]),
      ],
    },
    'other-account': {
      cluster: 'batch-jobs',
      containers: [
        app([
          {
            name: 'API_URL',
            valueFrom: `arn:aws:ssm:${MOTO_REGION}:${OTHER_ACCOUNT}:parameter/prod/api/url`,
          },
          {
            name: 'DB_PASSWORD',
            valueFrom: `arn:aws:secretsmanager:${MOTO_REGION}:${OTHER_ACCOUNT}:secret:${SECRET_NAME}-AbCdEf`,
          },
        ]),
      ],
    },
    'environment-only': {
      cluster: 'web',
      containers: [
        app(
          [
            // Neighbours of the parameter: a longer name and its parent path.
            { name: 'API_URL_V2', valueFrom: '/prod/api/url-v2' },
            { name: 'API_ROOT', valueFrom: '/prod/api' },
          ],
          {
            environment: {
              DB_SECRET_ARN: secret.arn,
              DB_SECRET_PARTIAL: `${secret.partialArn}:password::`,
              API_URL_PARAMETER: PARAMETER_NAME,
              FLAGS_PARAMETER: PLAIN_PARAMETER_NAME,
            },
          },
        ),
      ],
      tags: { [OPT_TAG]: 'on' },
    },
    // Registered as revision 1 (which references everything) and moved to revision 2 below.
    'old-revision': { cluster: 'batch-jobs', containers: [everything] },
    deleted: {
      cluster: 'payments',
      containers: [app([{ name: 'DB_PASSWORD', valueFrom: secret.arn }])],
      tags: { [OPT_TAG]: 'on' },
      desiredCount: 0,
    },
  };

  const services = {} as Record<Role, SeededService>;
  const create = async (role: Role, plan: ServicePlan, taskDefinitionArn: string) => {
    const arn = await seed.createService({
      cluster: plan.cluster,
      name: role,
      taskDefinition: taskDefinitionArn,
      desiredCount: plan.desiredCount ?? 2,
      ...(plan.tags === undefined ? {} : { tags: plan.tags }),
      ...(plan.deploymentController === undefined ? {} : { deploymentController: plan.deploymentController }),
    });
    services[role] = {
      role,
      cluster: plan.cluster,
      name: role,
      arn,
      clusterArn: clusterArns[plan.cluster],
      taskDefinitionArn,
      active: true,
      tags: plan.tags ?? {},
    };
  };

  for (const [role, plan] of Object.entries(plans) as [
    Exclude<Role, 'shared-task-definition'>,
    ServicePlan,
  ][]) {
    const taskDefinitionArn = await seed.registerTaskDefinition({
      family: role,
      containers: plan.containers,
    });
    await create(role, plan, taskDefinitionArn);
  }
  // A second service of another cluster running the very same task definition revision.
  await create(
    'shared-task-definition',
    { cluster: 'web', containers: [] },
    services['full-arn'].taskDefinitionArn,
  );

  // The current revision no longer references anything; only the old one does.
  const revision2 = await seed.registerTaskDefinition({
    family: 'old-revision',
    containers: [app([{ name: 'API_URL_V2', valueFrom: '/prod/api/url-v2' }])],
  });
  const moved = await ecs.send(
    new UpdateServiceCommand({ cluster: 'batch-jobs', service: 'old-revision', taskDefinition: revision2 }),
  );
  if (moved.service?.taskDefinition !== revision2)
    throw new Error('old-revision did not move to its revision 2');
  services['old-revision'] = { ...services['old-revision'], taskDefinitionArn: revision2 };

  await ecs.send(new DeleteServiceCommand({ cluster: 'payments', service: 'deleted', force: true }));
  services.deleted = { ...services.deleted, active: false };

  const byArn = new Map(Object.values(services).map((service) => [service.arn, service.role]));
  return {
    id: accountId,
    region: MOTO_REGION,
    parameterArn,
    plainParameterArn: `arn:aws:ssm:${MOTO_REGION}:${accountId}:parameter/${PLAIN_PARAMETER_NAME}`,
    otherRegionParameterArn,
    secret: { ...secret, initialVersionId: created.versionId },
    adminSecret,
    services,
    clusterArns,
    roleOf: (serviceArn) => byArn.get(serviceArn),
    async deploymentIds() {
      const ids = {} as Record<Role, string | null>;
      for (const cluster of CLUSTERS) {
        const names = ROLES.filter((role) => services[role].cluster === cluster);
        for (let start = 0; start < names.length; start += 10) {
          const out = await ecs.send(
            new DescribeServicesCommand({ cluster, services: names.slice(start, start + 10) }),
          );
          for (const described of out.services ?? []) {
            const role = byArn.get(described.serviceArn ?? '');
            if (role !== undefined) ids[role] = described.deployments?.[0]?.id ?? null;
          }
        }
      }
      const missing = ROLES.filter((role) => !(role in ids));
      if (missing.length > 0) throw new Error(`DescribeServices did not return ${missing.join(', ')}`);
      return ids;
    },
  };
}

/** The roles whose deployment id differs between two `deploymentIds()` snapshots. */
export function changedRoles(
  before: Readonly<Record<Role, string | null>>,
  after: Readonly<Record<Role, string | null>>,
): Role[] {
  return ROLES.filter((role) => before[role] !== after[role]);
}

// ---------------------------------------------------------------------------------------------------------
// What the tool must do with this account for each kind of change, service by service. A role missing from
// an expectation must be missing from the report: it does not use the changed item.

export type Expected = 'redeployed' | 'would-redeploy' | `skipped:${string}`;
export type Expectation = Partial<Record<Role, Expected>>;

/** Services that use the secret and both parameters, and are never redeployed. */
export const ALWAYS_SKIPPED: Expectation = {
  'opted-out': 'skipped:opted-out',
  'code-deploy': 'skipped:deployment-controller',
  external: 'skipped:deployment-controller',
  'scaled-to-zero': 'skipped:scaled-to-zero',
};

/** Every service reading the secret through its AWSCURRENT (or AWSPREVIOUS) value. */
export const SECRET_FOLLOWERS: Role[] = [
  'full-arn',
  'shared-task-definition',
  'partial-arn',
  'json-key',
  'pinned-previous',
  'log-secret-options',
  'sidecar',
  'repository-credentials-arn',
  'repository-credentials-name',
  'two-containers',
];

export const CURRENT_MOVED: Expectation = {
  ...Object.fromEntries(SECRET_FOLLOWERS.map((role) => [role, 'redeployed'])),
  'pinned-blue': 'skipped:stage-not-moved',
  'pinned-version': 'skipped:pinned-version',
  ...ALWAYS_SKIPPED,
};

export const BLUE_MOVED: Expectation = {
  ...Object.fromEntries(SECRET_FOLLOWERS.map((role) => [role, 'skipped:stage-not-moved'])),
  'pinned-blue': 'redeployed',
  'pinned-version': 'skipped:pinned-version',
  ...ALWAYS_SKIPPED,
};

export const PARAMETER_CHANGED: Expectation = {
  'parameter-by-path': 'redeployed',
  'parameter-by-name': 'redeployed',
  'parameter-by-arn': 'redeployed',
  ...ALWAYS_SKIPPED,
};

export const PLAIN_PARAMETER_CHANGED: Expectation = {
  'feature-flags': 'redeployed',
  'feature-flags-slash': 'redeployed',
  ...ALWAYS_SKIPPED,
};

/** Tagged `rotation-redeploy=on`: what selection mode `tagged` considers (`deleted` is no longer active). */
export const TAGGED_ON: Role[] = [
  'full-arn',
  'json-key',
  'pinned-blue',
  'parameter-by-arn',
  'admin-secret',
  'environment-only',
];

/** Every service whose current task definition references the secret, whatever its outcome. */
export const SECRET_USERS = Object.keys(CURRENT_MOVED) as Role[];
export const PARAMETER_USERS = Object.keys(PARAMETER_CHANGED) as Role[];

/** The expectation of a plan: what a run redeploys, a plan would redeploy. */
export function planned(expectation: Expectation): Expectation {
  return Object.fromEntries(
    Object.entries(expectation).map(([role, outcome]) => [
      role,
      outcome === 'redeployed' ? 'would-redeploy' : outcome,
    ]),
  );
}

/** The roles an expectation gives this outcome, in ROLES order. */
export function rolesWith(expectation: Expectation, outcome: Expected): Role[] {
  return ROLES.filter((role) => expectation[role] === outcome);
}

/** role → action of a report's services (`skipped:reason`, `failed:reason`); an unseeded service keeps its ARN. */
export function outcomesIn(
  services: readonly {
    readonly serviceArn: string;
    readonly action: string;
    readonly reason: string | null;
  }[],
  account: Pick<RealisticAccount, 'roleOf'>,
): Record<string, string> {
  return Object.fromEntries(
    services.map((service) => [
      account.roleOf(service.serviceArn) ?? service.serviceArn,
      service.action === 'skipped' || service.action === 'failed'
        ? `${service.action}:${service.reason}`
        : service.action,
    ]),
  );
}
