/**
 * Seeds an emulated account (see `moto.ts`) through the real AWS SDK clients.
 *
 *   const moto = await startMoto();
 *   const seed = seeder(moto.endpoint);
 *   const { arn } = await seed.createSecret('prod/db', 's3cr3t');
 */
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsClientConfig } from './moto.ts';

export interface SecretReference {
  /** The environment variable (or log option) name. */
  name: string;
  /** A Secrets Manager ARN, an SSM parameter name or an SSM parameter ARN. */
  valueFrom: string;
}

export interface ContainerSeed {
  name: string;
  /** Defaults to a public busybox image: moto never pulls it. */
  image?: string;
  secrets?: SecretReference[];
  /** Put in `logConfiguration.secretOptions`, with log driver `awslogs`. */
  secretOptions?: SecretReference[];
  /** `repositoryCredentials.credentialsParameter`: a Secrets Manager ARN or name. */
  repositoryCredentials?: string;
  /** Plain environment variables (not references). */
  environment?: Record<string, string>;
}

export interface TaskDefinitionSeed {
  family: string;
  containers: ContainerSeed[];
}

export type DeploymentControllerType = 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';

export interface ServiceSeed {
  cluster: string;
  name: string;
  /** A task definition ARN or `family:revision`. */
  taskDefinition: string;
  desiredCount: number;
  tags?: Record<string, string>;
  deploymentController?: DeploymentControllerType;
}

export interface SeedClients {
  ecs: ECSClient;
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
}

export interface Seeder {
  /** The clients the seeder uses, pointed at the emulator; reuse them in tests. */
  readonly clients: SeedClients;
  createSecret(name: string, value: string): Promise<{ arn: string; versionId: string }>;
  /** Creates or overwrites a `String` parameter; resolves to its new version. */
  putParameter(name: string, value: string): Promise<{ version: number }>;
  /** Resolves to the cluster ARN. */
  createCluster(name: string): Promise<string>;
  /** Resolves to the task definition ARN (`...:task-definition/family:revision`). */
  registerTaskDefinition(definition: TaskDefinitionSeed): Promise<string>;
  /** Resolves to the service ARN. */
  createService(service: ServiceSeed): Promise<string>;
  /** The id of the service's first deployment (`deployments[0].id`). */
  deploymentIdOf(cluster: string, service: string): Promise<string>;
  /** Closes the clients' connections. */
  destroy(): void;
}

const DEFAULT_IMAGE = 'public.ecr.aws/docker/library/busybox:latest';

function containerDefinition(container: ContainerSeed, family: string): ContainerDefinition {
  const definition: ContainerDefinition = {
    name: container.name,
    image: container.image ?? DEFAULT_IMAGE,
    essential: true,
    memory: 128,
  };
  if (container.secrets !== undefined) definition.secrets = container.secrets;
  if (container.secretOptions !== undefined) {
    definition.logConfiguration = {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': `/ecs/${family}`,
        'awslogs-region': 'us-east-1',
        'awslogs-stream-prefix': container.name,
      },
      secretOptions: container.secretOptions,
    };
  }
  if (container.repositoryCredentials !== undefined) {
    definition.repositoryCredentials = { credentialsParameter: container.repositoryCredentials };
  }
  if (container.environment !== undefined) {
    definition.environment = Object.entries(container.environment).map(([name, value]) => ({ name, value }));
  }
  return definition;
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`the emulator's answer has no ${what}`);
  return value;
}

/** Seeding helpers for the emulator at `endpoint` (`MotoServer.endpoint`). */
export function seeder(endpoint: string): Seeder {
  const config = awsClientConfig(endpoint);
  const clients: SeedClients = {
    ecs: new ECSClient(config),
    secretsManager: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
  };
  const { ecs, secretsManager, ssm } = clients;

  return {
    clients,

    async createSecret(name, value) {
      const out = await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: value }));
      return { arn: required(out.ARN, 'secret ARN'), versionId: required(out.VersionId, 'secret VersionId') };
    },

    async putParameter(name, value) {
      const out = await ssm.send(
        new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
      );
      return { version: required(out.Version, 'parameter Version') };
    },

    async createCluster(name) {
      const out = await ecs.send(new CreateClusterCommand({ clusterName: name }));
      return required(out.cluster?.clusterArn, 'clusterArn');
    },

    async registerTaskDefinition({ family, containers }) {
      const out = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: containers.map((container) => containerDefinition(container, family)),
        }),
      );
      return required(out.taskDefinition?.taskDefinitionArn, 'taskDefinitionArn');
    },

    async createService({ cluster, name, taskDefinition, desiredCount, tags, deploymentController }) {
      const out = await ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: name,
          taskDefinition,
          desiredCount,
          ...(tags !== undefined && {
            tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
          }),
          ...(deploymentController !== undefined && { deploymentController: { type: deploymentController } }),
        }),
      );
      return required(out.service?.serviceArn, 'serviceArn');
    },

    async deploymentIdOf(cluster, service) {
      const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const found = required(out.services?.[0], `service ${service} in cluster ${cluster}`);
      return required(found.deployments?.[0]?.id, `deployment for service ${service} in cluster ${cluster}`);
    },

    destroy() {
      ecs.destroy();
      secretsManager.destroy();
      ssm.destroy();
    },
  };
}
