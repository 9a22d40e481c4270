/**
 * The use case, wiring the ports: change → inventory → plan → act → report. `whoUses` shares the scan.
 */
import { forEachBounded } from './core/bounded.ts';
import type { ParsedEvent } from './core/change.ts';
import { type Decision, decide, matchingReferences, type Service } from './core/plan.ts';
import type { Inventory, Redeployer, TaskDefinitions } from './core/ports.ts';
import { type Item, type Reference, refersTo } from './core/reference.ts';
import {
  buildReport,
  failureReason,
  outcomeOf,
  type Report,
  type ReportedReference,
  reportedReferences,
  type ScanCounts,
  type ServiceOutcome,
} from './core/report.ts';

export interface ScanPorts {
  readonly inventory: Inventory;
  readonly taskDefinitions: TaskDefinitions;
}

export interface RedeployPorts extends ScanPorts {
  readonly redeployer: Redeployer;
  /** Injectable for tests; milliseconds. */
  readonly now?: () => number;
}

export interface RunOptions {
  readonly dryRun: boolean;
  readonly concurrency: number;
}

interface ScanResult {
  readonly users: { service: Service; references: Reference[] }[];
  /** Services whose task definition could not be read: they may use the item, so they are never dropped. */
  readonly unreadable: { service: Service; error: unknown }[];
  readonly scanned: ScanCounts;
}

/** Walks the inventory once and keeps the services whose current task definition references `matches`. */
async function scan(
  ports: ScanPorts,
  concurrency: number,
  select: (references: readonly Reference[]) => Reference[],
): Promise<ScanResult> {
  const users: ScanResult['users'] = [];
  const unreadable: ScanResult['unreadable'] = [];
  const taskDefinitionArns = new Set<string>();
  let services = 0;
  await forEachBounded(ports.inventory.services(), concurrency, async (service) => {
    services += 1;
    taskDefinitionArns.add(service.taskDefinitionArn);
    try {
      const { references } = await ports.taskDefinitions.referencesOf(service.taskDefinitionArn);
      const matching = select(references);
      if (matching.length > 0) users.push({ service, references: matching });
    } catch (error) {
      unreadable.push({ service, error });
    }
  });
  return {
    users,
    unreadable,
    scanned: { clusters: ports.inventory.clustersScanned, services, taskDefinitions: taskDefinitionArns.size },
  };
}

async function act(
  decisions: readonly Decision[],
  redeployer: Redeployer,
  options: RunOptions,
): Promise<ServiceOutcome[]> {
  const outcomes: ServiceOutcome[] = [];
  await forEachBounded(decisions, options.concurrency, async (decision) => {
    const { service, references } = decision;
    if (decision.action === 'skip') {
      outcomes.push(outcomeOf(service, references, 'skipped', decision.reason));
    } else if (options.dryRun) {
      outcomes.push(outcomeOf(service, references, 'would-redeploy'));
    } else {
      try {
        const { deploymentId } = await redeployer.redeploy(service);
        outcomes.push(outcomeOf(service, references, 'redeployed', null, deploymentId));
      } catch (error) {
        // One service's failure is that service's outcome; the others go on.
        outcomes.push(outcomeOf(service, references, 'failed', failureReason(error)));
      }
    }
  });
  return outcomes;
}

/** Handles one parsed event end to end and returns its report. */
export async function redeployForChange(parsed: ParsedEvent, ports: RedeployPorts, options: RunOptions): Promise<Report> {
  const now = ports.now ?? Date.now;
  const started = now();
  const { change, ignored } = parsed;
  if (ignored !== null) {
    return buildReport({
      change,
      ignored,
      dryRun: options.dryRun,
      outcomes: [],
      scanned: { clusters: 0, services: 0, taskDefinitions: 0 },
      durationMs: now() - started,
    });
  }
  const { users, unreadable, scanned } = await scan(ports, options.concurrency, (references) =>
    matchingReferences(change, references),
  );
  // A service is decided once, whatever number of its containers or references match.
  const decisions = users.map(({ service, references }) => decide(change, service, references));
  const outcomes = await act(decisions, ports.redeployer, options);
  for (const { service, error } of unreadable) {
    outcomes.push(outcomeOf(service, [], 'failed', `task definition unreadable: ${failureReason(error)}`));
  }
  return buildReport({ change, ignored, dryRun: options.dryRun, outcomes, scanned, durationMs: now() - started });
}

export interface ServiceUse {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly references: readonly ReportedReference[];
}

export interface WhoUsesReport {
  readonly query: string;
  readonly services: readonly ServiceUse[];
  /** Services whose task definition could not be read, so whether they use the item is unknown. */
  readonly unreadable: readonly { readonly serviceArn: string; readonly reason: string }[];
  readonly scanned: ScanCounts;
  readonly durationMs: number;
}

/** Every service whose current task definition references any of `items`, with those references. */
export async function whoUses(
  query: string,
  items: readonly Item[],
  ports: ScanPorts & { readonly now?: () => number },
  concurrency: number,
): Promise<WhoUsesReport> {
  const now = ports.now ?? Date.now;
  const started = now();
  const { users, unreadable, scanned } = await scan(ports, concurrency, (references) =>
    references.filter((reference) => items.some((item) => refersTo(reference, item))),
  );
  return {
    query,
    services: users
      .map(({ service, references }) => ({
        serviceArn: service.serviceArn,
        serviceName: service.serviceName,
        clusterArn: service.clusterArn,
        taskDefinitionArn: service.taskDefinitionArn,
        references: reportedReferences(references),
      }))
      .sort((a, b) => a.serviceArn.localeCompare(b.serviceArn)),
    unreadable: unreadable.map(({ service, error }) => ({ serviceArn: service.serviceArn, reason: failureReason(error) })),
    scanned,
    durationMs: now() - started,
  };
}
