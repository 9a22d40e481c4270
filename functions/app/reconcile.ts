/**
 * The scheduled reconcile: the audit on a schedule, told as one log line and its metrics. With `fix` the stale
 * services go to the redeploy queue under the change keys the event path gives the same values, so a service
 * whose change an event already carried finds that change done and is not redeployed again.
 */
import { LOG_MESSAGES, METRICS } from '../contract.ts';
import type { AuditReport } from '../core/audit-report.ts';
import type { Invocation, Telemetry } from '../core/ports.ts';
import { type AuditPorts, audit } from './audit.ts';

export interface ReconcileOptions {
  /** `fix`: queue the stale services' redeploys; `report`: only report them. */
  readonly mode: 'fix' | 'report';
  readonly concurrency: number;
}

export async function reconcile(
  ports: AuditPorts,
  options: ReconcileOptions,
  telemetry: Telemetry,
  invocation: Invocation,
): Promise<AuditReport> {
  const report = await audit(
    ports,
    { fix: options.mode === 'fix', concurrency: options.concurrency },
    invocation,
  );
  publishReconcileReport(report, telemetry);
  return report;
}

/**
 * One `reconcile report` line with the whole report, and the run's counts. ServicesStale is counted on every
 * run, 0 included, so its alarm can tell "two runs found stale services" from "no run reported". Services that
 * could not be judged are in the report (`summary.failed`, each with its reason), not in ServicesFailed: that
 * metric's alarm says a redeploy failed, and an undatable reference would raise it on every run.
 */
export function publishReconcileReport(report: AuditReport, telemetry: Telemetry): void {
  telemetry.info(LOG_MESSAGES.reconcileReport, { report });
  telemetry.count(METRICS.ServicesStale, report.summary.stale);
  telemetry.count(METRICS.ServicesQueued, report.summary.queued);
}
