/**
 * An ECS endpoint whose deployments move the way ECS reports them, on a script in (virtual) time: what the
 * emulator cannot do (moto leaves every deployment IN_PROGRESS and has no service-deployment APIs). Plug
 * `requestHandler` into an ECSClient; DescribeServices, ListServiceDeployments, DescribeServiceDeployments,
 * ListTasks and DescribeTasks answer in the shapes AWS documents, times as epoch seconds.
 *
 *   const ecs = new RolloutEcs(() => now);
 *   ecs.service('api', { deployments: [ecs.deployment('ecs-svc/1', 'PRIMARY')] });
 *   ecs.at(T0 + 60_000, 'api', (service) => { service.deployments[0].rolloutState = 'COMPLETED'; });
 */
import { type EcsAnswer, ecsRequestHandler } from './ecs-http.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const CLUSTER = 'prod';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
export const serviceArnOf = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${name}`;

export interface StandInDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  /** Absent for BLUE_GREEN, LINEAR and CANARY deployments and behind a Classic Load Balancer. */
  rolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  createdAt: number;
  updatedAt: number;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
}

export interface StandInServiceDeployment {
  serviceDeploymentArn: string;
  status: string;
  statusReason?: string;
  createdAt: number;
  finishedAt?: number;
  rollback?: { reason: string; startedAt: number };
}

export interface StandInTask {
  taskArn: string;
  startedBy: string;
  stoppedReason: string;
  stoppedAt: number;
}

export interface StandInService {
  name: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  strategy: 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
  deployments: StandInDeployment[];
  serviceDeployments: StandInServiceDeployment[];
  stoppedTasks: StandInTask[];
  events: { createdAt: number; message: string }[];
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export class RolloutEcs {
  readonly #services = new Map<string, StandInService>();
  #script: { at: number; name: string; change: (service: StandInService) => void }[] = [];
  #faults: ((action: string, input: Record<string, unknown>) => EcsAnswer | null)[] = [];
  /** Every call answered, by action, in order. */
  readonly calls: { action: string; input: Record<string, unknown> }[] = [];

  readonly requestHandler = ecsRequestHandler((action, input) => this.#answer(action, input));

  constructor(private readonly now: () => number) {}

  /** A deployment created at `createdAt` (default: now), rolling and in progress unless told otherwise. */
  deployment(id: string, status: StandInDeployment['status'], overrides: Partial<StandInDeployment> = {}) {
    const createdAt = overrides.createdAt ?? this.now();
    return {
      id,
      status,
      rolloutState: 'IN_PROGRESS' as const,
      createdAt,
      updatedAt: createdAt,
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 2,
      failedTasks: 0,
      ...overrides,
    };
  }

  service(name: string, fields: Partial<Omit<StandInService, 'name'>>): StandInService {
    const service: StandInService = {
      name,
      status: 'ACTIVE',
      strategy: 'ROLLING',
      deployments: [],
      serviceDeployments: [],
      stoppedTasks: [],
      events: [],
      ...fields,
    };
    this.#services.set(name, service);
    return service;
  }

  /** At `at` (milliseconds since the epoch) the service changes as `change` says. */
  at(at: number, name: string, change: (service: StandInService) => void): void {
    this.#script.push({ at, name, change });
  }

  /** Answers the calls `fault` picks with what it returns instead (null: answer normally). */
  failWhen(fault: (action: string, input: Record<string, unknown>) => EcsAnswer | null): void {
    this.#faults.push(fault);
  }

  callsOf(action: string) {
    return this.calls.filter((call) => call.action === action);
  }

  #advance(): void {
    const due = this.#script.filter((step) => step.at <= this.now());
    this.#script = this.#script.filter((step) => step.at > this.now());
    for (const step of due.sort((a, b) => a.at - b.at)) {
      const service = this.#services.get(step.name);
      if (service === undefined) throw new Error(`the script names no service ${step.name}`);
      step.change(service);
    }
  }

  #answer(action: string, input: Record<string, unknown>): EcsAnswer {
    this.calls.push({ action, input });
    for (const fault of this.#faults) {
      const answer = fault(action, input);
      if (answer !== null) return answer;
    }
    this.#advance();
    const byName = (nameOrArn: unknown) => {
      const text = String(nameOrArn);
      return this.#services.get(text.slice(text.lastIndexOf('/') + 1));
    };
    switch (action) {
      case 'DescribeServices': {
        const asked = (input.services as string[] | undefined) ?? [];
        const found = asked.flatMap((name) => byName(name) ?? []);
        return {
          ok: {
            services: found.map((service) => this.#described(service)),
            failures: asked
              .filter((name) => byName(name) === undefined)
              .map((arn) => ({ arn, reason: 'MISSING' })),
          },
        };
      }
      case 'ListServiceDeployments': {
        const service = byName(input.service);
        const after = (input.createdAt as { after?: number } | undefined)?.after;
        const listed = (service?.serviceDeployments ?? []).filter(
          (deployment) => after === undefined || deployment.createdAt / 1000 >= after,
        );
        return {
          ok: {
            serviceDeployments: listed.map((deployment) => ({
              serviceDeploymentArn: deployment.serviceDeploymentArn,
              serviceArn: serviceArnOf(service?.name ?? ''),
              clusterArn: CLUSTER_ARN,
              status: deployment.status,
              statusReason: deployment.statusReason,
              createdAt: seconds(deployment.createdAt),
              finishedAt: seconds(deployment.finishedAt),
            })),
          },
        };
      }
      case 'DescribeServiceDeployments': {
        const arns = (input.serviceDeploymentArns as string[] | undefined) ?? [];
        const all = [...this.#services.values()].flatMap((service) => service.serviceDeployments);
        return {
          ok: {
            serviceDeployments: all
              .filter((deployment) => arns.includes(deployment.serviceDeploymentArn))
              .map((deployment) => ({
                ...deployment,
                createdAt: seconds(deployment.createdAt),
                finishedAt: seconds(deployment.finishedAt),
                rollback:
                  deployment.rollback === undefined
                    ? undefined
                    : { ...deployment.rollback, startedAt: seconds(deployment.rollback.startedAt) },
              })),
            failures: [],
          },
        };
      }
      case 'ListTasks': {
        if (input.desiredStatus !== 'STOPPED') return { ok: { taskArns: [] } };
        return {
          ok: { taskArns: (byName(input.serviceName)?.stoppedTasks ?? []).map((task) => task.taskArn) },
        };
      }
      case 'DescribeTasks': {
        const arns = (input.tasks as string[] | undefined) ?? [];
        const all = [...this.#services.values()].flatMap((service) => service.stoppedTasks);
        return {
          ok: {
            tasks: all
              .filter((task) => arns.includes(task.taskArn))
              .map((task) => ({
                ...task,
                clusterArn: CLUSTER_ARN,
                lastStatus: 'STOPPED',
                desiredStatus: 'STOPPED',
                stopCode: 'TaskFailedToStart',
                stoppedAt: seconds(task.stoppedAt),
              })),
            failures: [],
          },
        };
      }
      default:
        return { error: 'UnknownOperationException', message: `${action} is not stood in for`, status: 400 };
    }
  }

  #described(service: StandInService) {
    return {
      serviceArn: serviceArnOf(service.name),
      serviceName: service.name,
      clusterArn: CLUSTER_ARN,
      status: service.status,
      desiredCount: 2,
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        strategy: service.strategy,
      },
      deployments: service.deployments.map((deployment) => ({
        ...deployment,
        createdAt: seconds(deployment.createdAt),
        updatedAt: seconds(deployment.updatedAt),
      })),
      events: [...service.events]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((event, index) => ({
          id: `e${index}`,
          createdAt: seconds(event.createdAt),
          message: event.message,
        })),
    };
  }
}
