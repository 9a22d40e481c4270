/** The last step: which services got a new deployment, each checked against what its seed expects. */
import { table } from '../../functions/cli/render.ts';
import type { Demo } from './demo.ts';
import { primaryDeployments } from './deployments.ts';
import { indent, type StepText, say } from './output.ts';
import { type Deployments, type ServiceVerdict, type StepRecord, serviceVerdict } from './verdict.ts';

const WHAT_CHANGED: StepText = {
  title: 'What changed',
  inAws:
    'ECS starts new tasks for each redeployed service; they read the new values when they start, and the old tasks drain.',
};

export async function whatChanged(
  demo: Demo,
  before: Deployments,
  steps: readonly StepRecord[],
): Promise<{ record: Extract<StepRecord, { kind: 'result' }>; services: ServiceVerdict[] }> {
  demo.headings.announce(WHAT_CHANGED);
  const after = await primaryDeployments(demo.clients.ecs, demo.account.services);
  const services = demo.account.services.map((service) => serviceVerdict(service, { before, after }, steps));
  say();
  say(
    indent(
      table(
        ['CLUSTER', 'SERVICE', 'DEPLOYMENT BEFORE', 'DEPLOYMENT AFTER', 'CHANGED', 'WHY'],
        services.map((service) => [
          service.cluster,
          service.name,
          service.deploymentBefore,
          service.deploymentAfter,
          service.changed ? 'yes' : 'no',
          service.why,
        ]),
      ),
    ),
  );
  const changed = services.filter((service) => service.changed).length;
  const kept = services.length - changed;
  say();
  say(indent(`${changed} of ${services.length} services got a new deployment; ${kept} kept theirs.`));
  for (const service of services) {
    if (service.problem !== null) say(`  UNEXPECTED: ${service.name}: ${service.problem}`);
  }
  return { record: { kind: 'result', title: WHAT_CHANGED.title, changed, kept }, services };
}
