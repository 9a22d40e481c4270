/**
 * The decision a change function could not take for a service (its task definition or deployment group could
 * not be read), taken again by the worker from the service as it is now: the same rules, the same reasons.
 */
import { clusterNameOf } from '../core/arn.ts';
import { changeOfReported } from '../core/change.ts';
import { decide, matchingReferences, type SkipReason } from '../core/decide.ts';
import { ConfigurationError } from '../core/errors.ts';
import type { DeploymentGroups, TaskDefinitions } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import type { RedeployPath, Service } from '../core/service.ts';

export interface DecideAfreshPorts {
  /** Reads what a task definition references; without it a recheck message cannot be decided. */
  readonly taskDefinitions?: TaskDefinitions | undefined;
  /** Finds a CODE_DEPLOY service's deployment group; without it (CodeDeploy off) such services are skipped. */
  readonly deploymentGroups?: DeploymentGroups | undefined;
}

export type AfreshDecision =
  | { readonly action: 'redeploy'; readonly path: RedeployPath }
  /** `not-referenced`: the service's task definition, read now, does not reference the changed item. */
  | { readonly action: 'skip'; readonly reason: SkipReason | 'not-referenced' };

export async function decideAfresh(
  message: RedeployMessage & { readonly recheck: { readonly movedLabels: readonly string[] } },
  service: Service,
  ports: DecideAfreshPorts,
): Promise<AfreshDecision> {
  if (ports.taskDefinitions === undefined) {
    throw new ConfigurationError(
      'this worker reads no task definitions, so it cannot decide a recheck message',
    );
  }
  const change = changeOfReported(message.change, message.recheck.movedLabels);
  const { references } = await ports.taskDefinitions.referencesOf(service.taskDefinitionArn);
  const matching = matchingReferences(change, references);
  if (matching.length === 0) return { action: 'skip', reason: 'not-referenced' };
  let decision = decide(change, service, matching);
  if (
    decision.action === 'skip' &&
    decision.controllerSkip === 'codedeploy-off' &&
    ports.deploymentGroups !== undefined
  ) {
    const group = await ports.deploymentGroups.groupOf({
      clusterName: clusterNameOf(service.clusterArn),
      serviceName: service.serviceName,
    });
    decision = decide(change, service, matching, group);
  }
  return decision.action === 'redeploy'
    ? { action: 'redeploy', path: decision.path }
    : { action: 'skip', reason: decision.reason };
}
