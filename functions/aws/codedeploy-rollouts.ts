/** Follows a CodeDeploy deployment the tool started (GetDeployment); `core/rollout.ts` decides what it means. */
import { type CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import type { RolloutReader } from '../core/ports.ts';
import type { RolloutObservation, StartedDeployment } from '../core/rollout.ts';

export class CodeDeployRollouts implements RolloutReader {
  readonly via = 'codedeploy' as const;

  constructor(private readonly codedeploy: CodeDeployClient) {}

  async observe(started: StartedDeployment): Promise<RolloutObservation> {
    const answer = await this.codedeploy.send(
      new GetDeploymentCommand({ deploymentId: started.deploymentId }),
    );
    const deployment = answer.deploymentInfo;
    if (deployment === undefined) {
      throw new Error(`GetDeployment answered nothing for ${started.deploymentId}`);
    }
    return { kind: 'codedeploy', deployment, endedAt: deployment.completeTime?.getTime() ?? null };
  }

  /** CodeDeploy's error information already says why the replacement tasks did not become healthy. */
  async stoppedTaskReason(): Promise<string | null> {
    return null;
  }
}
