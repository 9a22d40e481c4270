/**
 * Handling one change: change → inventory → decisions → act → report, once per change key. The work is
 * that of several changes at once (handle-changes.ts), given one.
 */
import type { ParsedEvent } from '../core/change.ts';
import type {
  ChangeVersions,
  DeploymentGroups,
  Invocation,
  MoveTimes,
  OncePerKey,
  Redeployer,
} from '../core/ports.ts';
import type { Report } from '../core/report.ts';
import type { EnqueuePorts } from './enqueue-redeploys.ts';
import { redeployForChanges } from './handle-changes.ts';
import type { ScanPorts } from './scan.ts';

/** How a decided redeploy is carried out: UpdateService now, or one message per service on the durable queue. */
export type Delivery =
  | { readonly kind: 'direct'; readonly redeployer: Redeployer }
  | ({ readonly kind: 'queued'; readonly coalesceSeconds: number } & EnqueuePorts);

export interface HandleChangePorts extends ScanPorts {
  readonly delivery: Delivery;
  /** Reads the version a moved label points to now, so every announcement of one value shares a key. */
  readonly changeVersions?: ChangeVersions | undefined;
  /** Makes the work once per change key (a duplicate answers `ignored: already-handled`). */
  readonly once?: OncePerKey | undefined;
  /** Finds CODE_DEPLOY services' deployment groups; without it (CodeDeploy turned off) they are skipped. */
  readonly deploymentGroups?: DeploymentGroups | undefined;
  /** Keeps the label moves events report, for the audit. */
  readonly moves?: MoveTimes | undefined;
}

export interface RunOptions {
  readonly dryRun: boolean;
  readonly concurrency: number;
}

/** Handles one parsed event end to end and returns its report (a run failure throws, to be retried). */
export async function redeployForChange(
  parsed: ParsedEvent,
  ports: HandleChangePorts,
  options: RunOptions,
  invocation: Invocation = { now: () => Date.now() },
): Promise<Report> {
  const [result] = await redeployForChanges([parsed], ports, options, invocation);
  if (result === undefined) throw new Error('no result for the change');
  if ('error' in result) throw result.error;
  return result.report;
}
