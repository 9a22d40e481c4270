/** Builds the use case's ports from SDK clients and settings: the one place that picks adapters. */
import type { Settings } from './config.ts';
import { type AwsClients } from './aws/clients.ts';
import { ClusterInventory, TaggedInventory } from './aws/ecs-inventory.ts';
import { EcsRedeployer } from './aws/redeployer.ts';
import { EcsTaskDefinitions } from './aws/task-definitions.ts';
import type { RedeployPorts } from './redeploy.ts';

export function portsFromAws(
  clients: AwsClients,
  settings: Pick<Settings, 'selection'>,
  onUnplaceable?: (serviceArn: string) => void,
): RedeployPorts {
  return {
    inventory:
      settings.selection === 'tagged'
        ? new TaggedInventory(clients.ecs, clients.tagging, onUnplaceable)
        : new ClusterInventory(clients.ecs),
    taskDefinitions: new EcsTaskDefinitions(clients.ecs),
    delivery: { kind: 'direct', redeployer: new EcsRedeployer(clients.ecs) },
  };
}
