/** The message the redeploy queue carries, and its schema: a message that does not fit is refused, never half-handled. */
import { z } from 'zod';
import { clusterNameOf, parseArn } from './arn.ts';
import { InvalidEventError } from './errors.ts';
import type { ReportedChange } from './report.ts';
import type { ServiceRef } from './service.ts';

/** One service to redeploy for one change: the unit the queue carries. */
export interface RedeployMessage {
  readonly service: ServiceRef;
  readonly changeKey: string;
  readonly change: ReportedChange;
  /**
   * When the worker first found the service's CodeDeploy deployment group busy with another deployment, epoch
   * milliseconds: the message is sent again, delayed, until the group is free or the wait has lasted too long.
   */
  readonly waitingSince?: number | undefined;
  /** Set on a message the flap guard sent back: when it was due to return (epoch ms). */
  readonly deferredUntil?: number;
  /**
   * Present when the change function could not decide for the service (its task definition or deployment
   * group could not be read): the worker decides afresh, from the service as it is, before it redeploys.
   * `movedLabels` are the change's moved staging labels, which the decision needs.
   */
  readonly recheck?: { readonly movedLabels: readonly string[] } | undefined;
}

const messageSchema = z.object({
  service: z.object({
    serviceArn: z.string().min(1),
    serviceName: z.string().min(1),
    clusterArn: z.string().min(1),
    // Absent in a message for an ECS-controlled service (and in every message queued before CodeDeploy).
    codeDeployGroup: z
      .object({
        applicationName: z.string().min(1),
        deploymentGroupName: z.string().min(1),
        deploymentConfigName: z.string().nullable(),
      })
      .optional(),
  }),
  changeKey: z.string().min(1),
  change: z.object({
    kind: z.enum(['secretsmanager', 'ssm']),
    arn: z.string(),
    name: z.string(),
    account: z.string(),
    region: z.string(),
    label: z.string().nullable(),
    versionId: z.string().nullable(),
    trigger: z.string(),
  }),
  waitingSince: z.number().int().nonnegative().optional(),
  deferredUntil: z.number().int().nonnegative().optional(),
  recheck: z.object({ movedLabels: z.array(z.string()) }).optional(),
}) satisfies z.ZodType<RedeployMessage>;

export function parseRedeployMessage(body: string): RedeployMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError(`the redeploy message is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`,
    );
    throw new InvalidEventError(`the redeploy message is missing what it needs: ${problems.join('; ')}`);
  }
  const disagreement = serviceDisagreement(result.data.service);
  if (disagreement !== null) {
    throw new InvalidEventError(`the redeploy message names no one service: ${disagreement}`);
  }
  return result.data;
}

/**
 * Why a message's service ARN, cluster ARN and service name do not name one and the same service; null when
 * they do. The ARN is `arn:PARTITION:ecs:REGION:ACCOUNT:service/CLUSTER/NAME` (or, in the old short format,
 * `service/NAME`, whose cluster only ECS can confirm), the cluster's `arn:PARTITION:ecs:REGION:ACCOUNT:cluster/CLUSTER`.
 */
export function serviceDisagreement(
  service: Pick<ServiceRef, 'serviceArn' | 'clusterArn' | 'serviceName'>,
): string | null {
  const arn = parseArn(service.serviceArn);
  const parts = arn?.resource.split('/') ?? [];
  if (arn?.service !== 'ecs' || parts[0] !== 'service' || parts.length < 2 || parts.length > 3) {
    return `serviceArn ${JSON.stringify(service.serviceArn)} is not an ECS service ARN (arn:PARTITION:ecs:REGION:ACCOUNT:service/CLUSTER/NAME)`;
  }
  const cluster = parseArn(service.clusterArn);
  const clusterParts = cluster?.resource.split('/') ?? [];
  if (cluster?.service !== 'ecs' || clusterParts[0] !== 'cluster' || clusterParts.length !== 2) {
    return `clusterArn ${JSON.stringify(service.clusterArn)} is not an ECS cluster ARN (arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME)`;
  }
  if (
    arn.partition !== cluster.partition ||
    arn.region !== cluster.region ||
    arn.account !== cluster.account
  ) {
    return `serviceArn ${JSON.stringify(service.serviceArn)} and clusterArn ${JSON.stringify(service.clusterArn)} are in different accounts or Regions`;
  }
  const clusterName = clusterNameOf(service.clusterArn);
  if (parts.length === 3 && parts[1] !== clusterName) {
    return `serviceArn names cluster ${JSON.stringify(parts[1])}, clusterArn names ${JSON.stringify(clusterName)}`;
  }
  const name = parts[parts.length - 1];
  if (name !== service.serviceName) {
    return `serviceArn names service ${JSON.stringify(name)}, serviceName is ${JSON.stringify(service.serviceName)}`;
  }
  return null;
}
