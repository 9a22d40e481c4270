/**
 * The audit's report: the shape of a change's report with `change: null`, listing the services that run a
 * value older than the current one, each with the values it is behind on.
 */
import type { ScanCounts, ServiceOutcome, Summary } from './report.ts';
import { byServiceArn, summaryOf } from './report.ts';
import type { StaleValue } from './staleness.ts';

/** One value a service's tasks may hold an older version of; times as ISO 8601. */
export interface ReportedStaleValue {
  readonly arn: string;
  readonly name: string;
  readonly kind: 'secretsmanager' | 'ssm';
  /** The label whose move made the value current (AWSCURRENT also for AWSPREVIOUS references); null for SSM. */
  readonly label: string | null;
  /** When the value became current: a move an event reported, else its version's creation (a lower bound). */
  readonly changedAt: string;
  /** When the service's newest deployment was created; null when ECS reported none. */
  readonly deployedAt: string | null;
}

export interface AuditOutcome extends ServiceOutcome {
  /** Empty for a service that could not be judged (`failed`). */
  readonly stale: readonly ReportedStaleValue[];
}

export interface AuditReport {
  readonly change: null;
  readonly ignored: null;
  /** True without `--fix` (or with reconcile `report`): nothing was redeployed. */
  readonly dryRun: boolean;
  readonly summary: Summary & {
    /** Stale services the tool acts on (skipped ones not counted): what the ServicesStale metric carries. */
    readonly stale: number;
  };
  readonly scanned: ScanCounts & {
    /** Distinct secrets and parameters whose current value was dated. */
    readonly items: number;
  };
  readonly durationMs: number;
  readonly services: readonly AuditOutcome[];
}

export function reportedStaleValues(values: readonly StaleValue[]): ReportedStaleValue[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  return values.map((value) => ({
    arn: value.item.arn,
    name: value.item.name,
    kind: value.item.kind,
    label: value.label,
    changedAt: iso(value.changedAt),
    deployedAt: value.deployedAt === null ? null : iso(value.deployedAt),
  }));
}

export function buildAuditReport(input: {
  dryRun: boolean;
  outcomes: readonly AuditOutcome[];
  scanned: AuditReport['scanned'];
  durationMs: number;
}): AuditReport {
  const { outcomes } = input;
  return {
    change: null,
    ignored: null,
    dryRun: input.dryRun,
    // Summary first: Logs Insights extracts a bounded number of fields from one JSON line.
    summary: {
      ...summaryOf(outcomes),
      stale: outcomes.filter((outcome) => outcome.stale.length > 0 && outcome.action !== 'skipped').length,
    },
    scanned: input.scanned,
    durationMs: input.durationMs,
    services: [...outcomes].sort(byServiceArn),
  };
}
