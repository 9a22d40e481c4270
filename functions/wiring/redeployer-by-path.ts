/**
 * The redeployer a service needs: UpdateService for an ECS-controlled service, a CodeDeploy deployment for one
 * whose reference names its deployment group (the decision that queued it found the group).
 */
import { ENV } from '../contract.ts';
import { ConfigurationError } from '../core/errors.ts';
import type { Redeployer } from '../core/ports.ts';
import type { RedeployTarget } from '../core/service.ts';

export class RedeployerByPath implements Redeployer {
  /** @param codeDeploy null when CodeDeploy deployments are turned off */
  constructor(
    private readonly ecs: Redeployer,
    private readonly codeDeploy: Redeployer | null,
  ) {}

  redeploy(service: RedeployTarget, until?: number): Promise<{ readonly deploymentId: string | null }> {
    if (service.codeDeployGroup === undefined) return this.ecs.redeploy(service, until);
    if (this.codeDeploy === null) {
      // A message queued before CodeDeploy deployments were turned off: never fall back on UpdateService,
      // which CODE_DEPLOY services refuse.
      return Promise.reject(
        new ConfigurationError(
          `${service.serviceArn} is deployed by CodeDeploy, and CodeDeploy deployments are turned off (${ENV.codeDeploy}=false)`,
        ),
      );
    }
    return this.codeDeploy.redeploy(service, until);
  }
}
