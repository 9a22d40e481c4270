/**
 * The scan every use case shares: walk the inventory once and keep the services whose current task
 * definition references what the caller looks for.
 */
import { createLimiter } from '../core/bounded.ts';
import type { Inventory, TaskDefinitions } from '../core/ports.ts';
import type { Reference, TaskDefinitionReferences } from '../core/reference.ts';
import type { ScanCounts } from '../core/report.ts';
import type { Service } from '../core/service.ts';

export interface ScanPorts {
  readonly inventory: Inventory;
  readonly taskDefinitions: TaskDefinitions;
}

export interface ScanResult {
  readonly users: { service: Service; references: Reference[] }[];
  /** Services whose task definition could not be read: they may use the item, so they are never dropped. */
  readonly unreadable: { service: Service; error: unknown }[];
  readonly scanned: ScanCounts;
}

/**
 * Walks the inventory once and keeps the services whose current task definition references what `select`
 * picks. The walk runs ahead of the task definition reads (so both ECS buckets drain at once), and each
 * user goes to `onUser` as soon as it is known, so acting overlaps scanning.
 */
export async function scan(
  ports: ScanPorts,
  concurrency: number,
  select: (references: readonly Reference[], service: Service) => Reference[],
  onUser: (service: Service, references: Reference[]) => void = () => {},
): Promise<ScanResult> {
  const users: ScanResult['users'] = [];
  const unreadable: ScanResult['unreadable'] = [];
  const limit = createLimiter(concurrency);
  // One slot per distinct task definition: services sharing one are decided the moment it is read,
  // not when their own turn in the queue comes (which would push decisions, and redeploys, to the end).
  const reading = new Map<string, Promise<TaskDefinitionReferences>>();
  const read = (arn: string) => {
    let pending = reading.get(arn);
    if (pending === undefined) {
      pending = limit(() => ports.taskDefinitions.referencesOf(arn));
      reading.set(arn, pending);
    }
    return pending;
  };
  const reads: Promise<void>[] = [];
  let services = 0;
  for await (const service of ports.inventory.services()) {
    services += 1;
    reads.push(
      read(service.taskDefinitionArn).then(
        ({ references }) => {
          const matching = select(references, service);
          if (matching.length === 0) return;
          users.push({ service, references: matching });
          onUser(service, matching);
        },
        (error: unknown) => {
          unreadable.push({ service, error });
        },
      ),
    );
  }
  await Promise.all(reads);
  await ports.taskDefinitions.settle?.();
  return {
    users,
    unreadable,
    scanned: {
      clusters: ports.inventory.clustersScanned,
      services,
      taskDefinitions: reading.size,
    },
  };
}
