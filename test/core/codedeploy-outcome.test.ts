import { describe, expect, it } from 'vitest';
import { codeDeployOutcome } from '../../functions/core/codedeploy-outcome.ts';

describe('codeDeployOutcome', () => {
  it.each([
    ['Created', 'in-progress'],
    ['Queued', 'in-progress'],
    ['InProgress', 'in-progress'],
    ['Baking', 'in-progress'],
    ['Ready', 'in-progress'],
    ['Succeeded', 'completed'],
    ['Failed', 'failed'],
    ['Stopped', 'failed'],
    ['SomethingNew', 'in-progress'],
  ])('reads status %s as %s', (status, state) => {
    expect(codeDeployOutcome({ status }).state).toBe(state);
  });

  it("gives CodeDeploy's error and the rollback that undid the deployment as the reason of a failure", () => {
    expect(
      codeDeployOutcome({
        status: 'Failed',
        errorInformation: { code: 'ECS_UPDATE_ERROR', message: 'The ECS service cannot be updated' },
        rollbackInfo: { rollbackDeploymentId: 'd-ROLLBACK1' },
      }),
    ).toEqual({
      state: 'failed',
      reason:
        'CodeDeploy deployment failed: ECS_UPDATE_ERROR: The ECS service cannot be updated (rolled back by d-ROLLBACK1)',
    });
    expect(codeDeployOutcome({ status: 'Stopped' })).toEqual({
      state: 'failed',
      reason: 'CodeDeploy deployment stopped',
    });
  });

  it('says why a deployment that waits for a person is not over', () => {
    expect(codeDeployOutcome({ status: 'Ready' }).reason).toContain('rerouted');
    expect(codeDeployOutcome({ status: 'SomethingNew' }).reason).toBe('CodeDeploy status SomethingNew');
  });
});
