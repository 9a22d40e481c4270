/**
 * `ECS Deployment State Change` events (source `aws.ecs`) → the deployment they are about and what they say.
 *
 * ECS sends SERVICE_DEPLOYMENT_IN_PROGRESS when a deployment starts, a rollback included (its `reason` then
 * reads "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/..."), COMPLETED when the
 * service is steady, and FAILED only where the deployment circuit breaker is on. `resources[0]` is the
 * service's ARN.
 */
import { z } from 'zod';
import { InvalidEventError } from './errors.ts';
import type { RolloutVerdict, StartedDeployment } from './rollout.ts';

export const DEPLOYMENT_EVENT_SOURCE = 'aws.ecs';
export const DEPLOYMENT_EVENT_DETAIL_TYPE = 'ECS Deployment State Change';
export const DEPLOYMENT_EVENT_NAMES = [
  'SERVICE_DEPLOYMENT_IN_PROGRESS',
  'SERVICE_DEPLOYMENT_COMPLETED',
  'SERVICE_DEPLOYMENT_FAILED',
] as const;
export type DeploymentEventName = (typeof DEPLOYMENT_EVENT_NAMES)[number];

export interface DeploymentStateChange {
  /** The EventBridge event id, when the event has one. */
  readonly eventId: string | null;
  readonly account: string;
  readonly region: string;
  readonly serviceArn: string;
  readonly deploymentId: string;
  readonly eventName: DeploymentEventName;
  /** INFO or ERROR. */
  readonly eventType: string;
  readonly reason: string | null;
  /** `detail.updatedAt` in milliseconds since the epoch; null when absent or not a time. */
  readonly updatedAt: number | null;
  /** The deployment a rollback returns to, read from an IN_PROGRESS event's reason; null otherwise. */
  readonly rollingBackTo: string | null;
}

const eventSchema = z.object({
  id: z.string().optional(),
  source: z.literal(DEPLOYMENT_EVENT_SOURCE),
  'detail-type': z.literal(DEPLOYMENT_EVENT_DETAIL_TYPE),
  account: z.string().min(1),
  region: z.string().min(1),
  resources: z.array(z.string().min(1)).min(1),
  detail: z.object({
    eventType: z.string().min(1),
    eventName: z.enum(DEPLOYMENT_EVENT_NAMES),
    deploymentId: z.string().min(1),
    updatedAt: z.string().optional(),
    reason: z.string().nullish(),
  }),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'event'}: ${issue.message}`)
    .join('; ');
}

const ROLLING_BACK_TO = /rolling back to deploymentId (\S+?)\.?$/;

/** Reads one event; anything that is not a deployment state change with what it needs is refused, naming the field. */
export function parseDeploymentEvent(event: unknown): DeploymentStateChange {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`not an ECS Deployment State Change event: ${describeIssues(parsed.error)}`);
  }
  const { id, account, region, resources, detail } = parsed.data;
  const serviceArn = resources[0] ?? '';
  if (!/^arn:[^:]+:ecs:[^:]*:[^:]*:service\//.test(serviceArn)) {
    throw new InvalidEventError(`resources.0: "${serviceArn}" is not an ECS service ARN`);
  }
  const updatedAt = detail.updatedAt === undefined ? Number.NaN : Date.parse(detail.updatedAt);
  const reason = detail.reason ?? null;
  return {
    eventId: id ?? null,
    account,
    region,
    serviceArn,
    deploymentId: detail.deploymentId,
    eventName: detail.eventName,
    eventType: detail.eventType,
    reason,
    updatedAt: Number.isNaN(updatedAt) ? null : updatedAt,
    rollingBackTo:
      detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS'
        ? (ROLLING_BACK_TO.exec(reason ?? '')?.[1] ?? null)
        : null,
  };
}

/**
 * What an event says about the rollout of `started`; null when the event is about another deployment (most
 * of an account's are: CI/CD's), which the caller drops at once.
 */
export function verdictFromEvent(
  started: StartedDeployment,
  event: DeploymentStateChange,
): RolloutVerdict | null {
  if (event.deploymentId !== started.deploymentId || event.serviceArn !== started.service.serviceArn)
    return null;
  switch (event.eventName) {
    case 'SERVICE_DEPLOYMENT_COMPLETED':
      return { state: 'completed', reason: null, endedAt: event.updatedAt };
    case 'SERVICE_DEPLOYMENT_FAILED':
      return {
        state: 'failed',
        reason: event.reason ?? `ECS reported ${started.deploymentId} failed`,
        endedAt: event.updatedAt,
      };
    case 'SERVICE_DEPLOYMENT_IN_PROGRESS':
      // A rollback announced under our own id means ours is being undone.
      return event.rollingBackTo === null
        ? { state: 'in-progress', reason: event.reason, endedAt: null }
        : { state: 'failed', reason: event.reason, endedAt: event.updatedAt };
  }
}
