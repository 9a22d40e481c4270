/** Where a CodeDeploy deployment the tool started stands now (GetDeployment), as a rollout state. */
import { type CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { type CodeDeployOutcome, codeDeployOutcome } from '../core/codedeploy-outcome.ts';

export class CodeDeployOutcomes {
  constructor(private readonly codedeploy: CodeDeployClient) {}

  async outcomeOf(deploymentId: string): Promise<CodeDeployOutcome> {
    const answer = await this.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
    if (answer.deploymentInfo === undefined) {
      throw new Error(`GetDeployment answered nothing for ${deploymentId}`);
    }
    return codeDeployOutcome(answer.deploymentInfo);
  }
}
