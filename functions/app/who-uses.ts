/** Who uses a secret or parameter: every service whose current task definition references it. */
import type { Invocation } from '../core/ports.ts';
import { type Item, refersTo, taskContextOf } from '../core/reference.ts';
import {
  failureReason,
  type ReportedReference,
  reportedReferences,
  type ScanCounts,
} from '../core/report.ts';
import { type ScanPorts, scan } from './scan.ts';

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
  ports: ScanPorts,
  concurrency: number,
  invocation: Invocation = { now: () => Date.now() },
): Promise<WhoUsesReport> {
  const now = () => invocation.now();
  const started = now();
  const { users, unreadable, scanned } = await scan(ports, concurrency, (references, service) => {
    // A bare name (no account) means the secret or parameter of the service's own account, as ECS reads
    // it: a reference to the same name in another account is another item.
    const account = taskContextOf(service.taskDefinitionArn)?.account ?? null;
    const here = items.map((item) =>
      item.account === null && account !== null ? { ...item, account } : item,
    );
    return references.filter((reference) => here.some((item) => refersTo(reference, item)));
  });
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
    unreadable: unreadable.map(({ service, error }) => ({
      serviceArn: service.serviceArn,
      reason: failureReason(error),
    })),
    scanned,
    durationMs: now() - started,
  };
}
