/**
 * A CodeDeploy deployment's status (GetDeployment) as the state of a rollout the tool follows.
 *
 * CodeDeploy runs one deployment per deployment group at a time, so nothing started after ours can replace it
 * while it runs: a CodeDeploy rollout ends completed or failed, never superseded.
 */

/** Every status GetDeployment answers. */
export type CodeDeployStatus =
  | 'Created'
  | 'Queued'
  | 'InProgress'
  | 'Baking'
  | 'Ready'
  | 'Succeeded'
  | 'Failed'
  | 'Stopped';

/** The part of GetDeployment's `deploymentInfo` this module reads. */
export interface CodeDeployDeploymentShape {
  readonly status?: string | undefined;
  readonly errorInformation?:
    | { readonly code?: string | undefined; readonly message?: string | undefined }
    | undefined;
  readonly rollbackInfo?:
    | { readonly rollbackDeploymentId?: string | undefined; readonly rollbackMessage?: string | undefined }
    | undefined;
}

export type CodeDeployOutcome =
  | { readonly state: 'in-progress'; readonly reason: string | null }
  | { readonly state: 'completed'; readonly reason: null }
  | { readonly state: 'failed'; readonly reason: string };

const WAITING: Readonly<Record<string, string | null>> = {
  Created: null,
  Queued: null,
  InProgress: null,
  // Traffic has moved and the original task set is kept until the group's termination wait ends.
  Baking: null,
  // The group waits for someone to reroute traffic to the replacement task set (ContinueDeployment).
  Ready: 'waiting for traffic to be rerouted to the replacement task set (CodeDeploy ContinueDeployment)',
};

/** Where the deployment stands; an unknown status is reported as still running, with the status as its reason. */
export function codeDeployOutcome(deployment: CodeDeployDeploymentShape): CodeDeployOutcome {
  const status = deployment.status ?? 'unknown';
  if (status === 'Succeeded') return { state: 'completed', reason: null };
  if (status === 'Failed' || status === 'Stopped') {
    const error = deployment.errorInformation;
    const detail = [error?.code, error?.message]
      .filter((part) => part !== undefined && part !== '')
      .join(': ');
    const rolledBack =
      deployment.rollbackInfo?.rollbackDeploymentId === undefined
        ? ''
        : ` (rolled back by ${deployment.rollbackInfo.rollbackDeploymentId})`;
    return {
      state: 'failed',
      reason: `CodeDeploy deployment ${status.toLowerCase()}${detail === '' ? '' : `: ${detail}`}${rolledBack}`,
    };
  }
  if (status in WAITING) return { state: 'in-progress', reason: WAITING[status] ?? null };
  return { state: 'in-progress', reason: `CodeDeploy status ${status}` };
}
