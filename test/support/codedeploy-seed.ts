/**
 * Seeds CodeDeploy-controlled ECS services in the emulator, shaped as AWS shows them: a service on the
 * CODE_DEPLOY controller behind a load balancer, its PRIMARY task set carrying how its tasks launch, and an ECS
 * deployment group listing it. Also reads the emulator's deployments back.
 *
 * moto's GetDeployment answers timestamps as ISO strings where the SDK expects epoch seconds, so the SDK cannot
 * read it; `deploymentOf` asks moto over plain HTTP instead.
 */
import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import {
  CreateServiceCommand,
  CreateTaskSetCommand,
  type ECSClient,
  UpdateServicePrimaryTaskSetCommand,
} from '@aws-sdk/client-ecs';
import { awsClientConfig } from './moto.ts';

export interface CodeDeployServiceSeed {
  readonly cluster: string;
  readonly name: string;
  readonly taskDefinition: string;
  readonly desiredCount?: number;
  readonly tags?: Record<string, string>;
  readonly container: { readonly name: string; readonly port: number };
  readonly capacityProviderStrategy?: readonly { capacityProvider: string; weight?: number; base?: number }[];
  readonly platformVersion?: string;
  readonly subnets?: readonly string[];
  readonly securityGroups?: readonly string[];
}

export interface DeploymentGroupSeed {
  readonly application: string;
  readonly group: string;
  readonly services: readonly { readonly cluster: string; readonly name: string }[];
}

/** A deployment as the emulator keeps it. */
export interface EmulatedDeployment {
  readonly deploymentId: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly status: string;
  readonly description: string | null;
  readonly revision: {
    readonly revisionType?: string;
    readonly appSpecContent?: { readonly content?: string };
  };
}

export function codeDeployClient(endpoint: string): CodeDeployClient {
  return new CodeDeployClient(awsClientConfig(endpoint));
}

const targetGroup = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;

/** A CODE_DEPLOY service whose PRIMARY task set runs `taskDefinition`; resolves to the service ARN. */
export async function createCodeDeployService(ecs: ECSClient, seed: CodeDeployServiceSeed): Promise<string> {
  const loadBalancers = [
    {
      targetGroupArn: targetGroup(`${seed.name}-blue`),
      containerName: seed.container.name,
      containerPort: seed.container.port,
    },
  ];
  const created = await ecs.send(
    new CreateServiceCommand({
      cluster: seed.cluster,
      serviceName: seed.name,
      taskDefinition: seed.taskDefinition,
      desiredCount: seed.desiredCount ?? 2,
      deploymentController: { type: 'CODE_DEPLOY' },
      loadBalancers,
      ...(seed.tags === undefined
        ? {}
        : { tags: Object.entries(seed.tags).map(([key, value]) => ({ key, value })) }),
    }),
  );
  const taskSet = await ecs.send(
    new CreateTaskSetCommand({
      cluster: seed.cluster,
      service: seed.name,
      taskDefinition: seed.taskDefinition,
      loadBalancers,
      ...(seed.capacityProviderStrategy === undefined
        ? { launchType: 'EC2' }
        : { capacityProviderStrategy: [...seed.capacityProviderStrategy] }),
      ...(seed.platformVersion === undefined ? {} : { platformVersion: seed.platformVersion }),
      ...(seed.subnets === undefined
        ? {}
        : {
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: [...seed.subnets],
                securityGroups: [...(seed.securityGroups ?? [])],
                assignPublicIp: 'DISABLED',
              },
            },
          }),
    }),
  );
  await ecs.send(
    new UpdateServicePrimaryTaskSetCommand({
      cluster: seed.cluster,
      service: seed.name,
      primaryTaskSet: taskSet.taskSet?.taskSetArn,
    }),
  );
  const arn = created.service?.serviceArn;
  if (arn === undefined) throw new Error('the emulator created no service ARN');
  return arn;
}

/** An ECS application (created when missing) with one deployment group listing `services`. */
export async function createDeploymentGroup(
  codedeploy: CodeDeployClient,
  seed: DeploymentGroupSeed,
): Promise<void> {
  try {
    await codedeploy.send(
      new CreateApplicationCommand({ applicationName: seed.application, computePlatform: 'ECS' }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ApplicationAlreadyExistsException') throw error;
  }
  await codedeploy.send(
    new CreateDeploymentGroupCommand({
      applicationName: seed.application,
      deploymentGroupName: seed.group,
      serviceRoleArn: 'arn:aws:iam::123456789012:role/ecsCodeDeployRole',
      deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ecsServices: seed.services.map(({ cluster, name }) => ({ clusterName: cluster, serviceName: name })),
    }),
  );
}

/** The ids of every deployment of one group, whatever its status. */
export async function deploymentIdsOf(
  codedeploy: CodeDeployClient,
  application: string,
  group: string,
): Promise<string[]> {
  const answer = await codedeploy.send(
    new ListDeploymentsCommand({ applicationName: application, deploymentGroupName: group }),
  );
  return answer.deployments ?? [];
}

/** GetDeployment, read over plain HTTP (see the module comment). */
export async function deploymentOf(endpoint: string, deploymentId: string): Promise<EmulatedDeployment> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'CodeDeploy_20141006.GetDeployment',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/codedeploy/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ deploymentId }),
  });
  if (!response.ok) throw new Error(`GetDeployment ${deploymentId}: HTTP ${response.status}`);
  const { deploymentInfo } = (await response.json()) as { deploymentInfo: EmulatedDeployment };
  return deploymentInfo;
}

/** The AppSpec a deployment carries, parsed. */
export function appSpecOf(deployment: EmulatedDeployment): {
  Resources: { TargetService: { Type: string; Properties: Record<string, unknown> } }[];
} {
  const content = deployment.revision.appSpecContent?.content;
  if (content === undefined)
    throw new Error(`deployment ${deployment.deploymentId} carries no AppSpec content`);
  return JSON.parse(content);
}
