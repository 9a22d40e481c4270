/**
 * Reports as a person reads them: a table and a summary. Pure: returns text, prints nothing. Every string
 * that came from outside (the event, ECS, an error) goes through `printable`; the table does it for its cells.
 */

import type { FollowProgress } from '../app/follow-rollouts.ts';
import type { WhoUsesReport } from '../app/who-uses.ts';
import { clusterNameOf } from '../core/arn.ts';
import type { AuditReport } from '../core/audit-report.ts';
import {
  DEFERRED_TEXT,
  IGNORE_REASON_TEXT,
  ROLLOUT_END_ACTION,
  ROLLOUT_END_TEXT,
} from '../core/reason-texts.ts';
import type { Report, ServiceOutcome } from '../core/report.ts';
import { printable } from './printable.ts';

/** Columns padded to their widest cell, a dashed rule under the header; every cell printable. */
export function table(header: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function references(list: readonly { container: string; field: string; valueFrom: string }[]): string {
  return list
    .map((reference) => `${reference.container}.${reference.field}=${reference.valueFrom}`)
    .join(', ');
}

function scannedLine(scanned: Report['scanned'], durationMs: number): string {
  return `Scanned ${scanned.clusters} clusters, ${scanned.services} services, ${scanned.taskDefinitions} task definitions in ${durationMs} ms.`;
}

/** `ecs (ROLLING)`, `codedeploy storefront/checkout-bg`, or nothing. */
function via(service: ServiceOutcome): string {
  if (service.via === 'ecs') return `ecs (${service.strategy ?? 'ROLLING'})`;
  if (service.via === 'codedeploy') return `codedeploy ${service.deploymentGroup ?? ''}`.trimEnd();
  return '';
}

export function renderReport(report: Report): string {
  const { change } = report;
  const label = change.label === null ? '' : `, label ${printable(change.label)}`;
  const version = change.versionId === null ? '' : `, version ${printable(change.versionId)}`;
  const lines = [
    `Change: ${change.kind} ${printable(change.name)} (${printable(change.trigger)}${label}${version})`,
    `        ${printable(change.arn)}`,
  ];
  if (report.ignored !== null) {
    lines.push(
      `Ignored: ${report.ignored}. ${IGNORE_REASON_TEXT[report.ignored]}; no service was looked at.`,
    );
    return lines.join('\n');
  }
  if (report.dryRun) lines.push('Dry run: no service was redeployed.');
  lines.push('');
  if (report.services.length === 0) {
    lines.push('No service references this item.');
  } else {
    const followed = report.services.some((service) => service.rollout !== undefined);
    lines.push(
      table(
        [
          'SERVICE',
          'CLUSTER',
          'ACTION',
          'REASON',
          'VIA',
          'DEPLOYMENT',
          ...(followed ? ['ROLLOUT'] : []),
          'REFERENCES',
        ],
        report.services.map((service) => [
          service.serviceName,
          clusterNameOf(service.clusterArn),
          service.action,
          service.reason ?? '',
          via(service),
          service.deploymentId ?? '',
          ...(followed ? [rolloutCell(service)] : []),
          references(service.references),
        ]),
      ),
    );
    const notes = report.services.filter((service) => service.detail !== null);
    if (notes.length > 0) lines.push('');
    for (const service of notes) lines.push(`${printable(service.serviceName)}: ${service.detail}`);
    lines.push(...rolloutNotes(report.services));
  }
  const { summary } = report;
  const deferred = summary.deferred > 0 ? `, ${summary.deferred} ${DEFERRED_TEXT}` : '';
  const done = report.dryRun
    ? `${summary.wouldRedeploy} would redeploy`
    : summary.queued > 0 || summary.deferred > 0
      ? `${summary.queued} queued for the redeploy worker${deferred}, ${summary.redeployed} redeployed`
      : `${summary.redeployed} redeployed`;
  // A deployment started for another change of the same run is that change's: said apart, never counted twice.
  const rode =
    summary.rodeOn === undefined
      ? ''
      : `, ${summary.rodeOn} ${report.dryRun ? 'would ride' : 'rode'} on another change's deployment`;
  lines.push(
    '',
    `Summary: ${summary.matched} services use it: ${done}${rode}, ${summary.skipped} skipped, ${summary.failed} failed.`,
  );
  if (summary.completed !== undefined) {
    lines.push(
      `Rollouts: ${summary.completed} completed, ${summary.superseded ?? 0} superseded, ${summary.rolloutFailed ?? 0} failed, ${summary.timedOut ?? 0} timed out.`,
    );
  }
  lines.push(scannedLine(report.scanned, report.durationMs));
  return lines.join('\n');
}

function rolloutCell(service: ServiceOutcome): string {
  const { rollout } = service;
  if (rollout === undefined) return '';
  return rollout.seconds === null ? rollout.state : `${rollout.state} (${rollout.seconds} s)`;
}

/** Every rollout that did not simply complete, with ECS's reason, what it means and what to do. */
function rolloutNotes(services: readonly ServiceOutcome[]): string[] {
  const notes: string[] = [];
  for (const service of services) {
    const { rollout } = service;
    if (rollout === undefined || rollout.state === 'completed') continue;
    notes.push(
      '',
      // The name and ECS's reason came from outside: printed with their control characters escaped.
      `${printable(service.serviceName)}: rollout ${rollout.state}${rollout.reason === null ? '' : `: ${printable(rollout.reason)}`}`,
      `  It means: ${ROLLOUT_END_TEXT[rollout.state]}.`,
      `  To do: ${ROLLOUT_END_ACTION[rollout.state]}.`,
    );
  }
  return notes;
}

/** One line a terminal shows after each look at the rollouts. */
export function progressLine(progress: FollowProgress): string {
  const ended = progress.completed + progress.superseded + progress.rolloutFailed + progress.timedOut;
  const minutes = Math.floor(progress.msLeft / 60_000);
  const seconds = Math.floor((progress.msLeft % 60_000) / 1000);
  return `Rollouts: ${ended} of ${ended + progress.inProgress} ended (${progress.completed} completed, ${progress.superseded} superseded, ${progress.rolloutFailed} failed), ${minutes} min ${seconds} s left`;
}

export function renderWhoUses(report: WhoUsesReport): string {
  const lines: string[] = [];
  if (report.services.length === 0) {
    lines.push(`No service's current task definition references ${printable(report.query)}.`);
  } else {
    lines.push(
      table(
        ['SERVICE', 'CLUSTER', 'TASK DEFINITION', 'REFERENCES'],
        report.services.map((service) => [
          service.serviceName,
          clusterNameOf(service.clusterArn),
          service.taskDefinitionArn.slice(service.taskDefinitionArn.lastIndexOf('/') + 1),
          references(service.references),
        ]),
      ),
    );
  }
  for (const unreadable of report.unreadable) {
    lines.push(`Unknown: ${printable(unreadable.serviceArn)}: ${printable(unreadable.reason)}`);
  }
  lines.push(
    '',
    `${report.services.length} services use ${printable(report.query)}.`,
    scannedLine(report.scanned, report.durationMs),
  );
  return lines.join('\n');
}

/** The minute a value changed or a service was deployed, as a person compares them: `2025-01-01 10:00:00Z`. */
function when(iso: string | null): string {
  return iso === null ? 'unknown' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

export function renderAuditReport(report: AuditReport): string {
  const lines = ['Audit: which services run a value older than the current one.'];
  if (report.dryRun) lines.push('Report only (no --fix): no service was redeployed.');
  lines.push('');
  if (report.services.length === 0) {
    lines.push('No service runs a value older than the current one.');
  } else {
    // One row per value a service is behind on; the service's own columns only on its first row.
    const rows = report.services.flatMap((service) => {
      const values = service.stale.length === 0 ? [null] : service.stale;
      return values.map((value, index) => [
        index === 0 ? service.serviceName : '',
        index === 0 ? clusterNameOf(service.clusterArn) : '',
        index === 0 ? service.action : '',
        index === 0 ? (service.action === 'failed' ? 'see below' : (service.reason ?? '')) : '',
        value === null ? '' : `${value.name}${value.label === null ? '' : ` (${value.label})`}`,
        value === null ? '' : when(value.changedAt),
        value === null ? '' : when(value.deployedAt),
        index === 0 ? (service.deploymentId ?? '') : '',
      ]);
    });
    lines.push(
      table(
        ['SERVICE', 'CLUSTER', 'ACTION', 'REASON', 'BEHIND ON', 'CHANGED', 'DEPLOYED', 'NEW DEPLOYMENT'],
        rows,
      ),
    );
  }
  // A failure's reason can be long (every item it could not date): each gets a line of its own.
  for (const service of report.services) {
    if (service.action === 'failed') {
      lines.push(`Failed: ${service.serviceName}: ${(service.reason ?? '').replace(/\s+/g, ' ')}`);
    }
  }
  const { summary, scanned } = report;
  const acted = report.dryRun
    ? `${summary.wouldRedeploy} would redeploy`
    : summary.queued > 0
      ? `${summary.queued} queued for the redeploy worker, ${summary.redeployed} redeployed`
      : `${summary.redeployed} redeployed`;
  lines.push(
    '',
    `Summary: ${summary.matched} services listed: ${acted}, ${summary.skipped} skipped, ${summary.failed} failed.`,
    `Scanned ${scanned.clusters} clusters, ${scanned.services} services, ${scanned.taskDefinitions} task definitions, ${scanned.items} secrets and parameters in ${report.durationMs} ms.`,
  );
  return lines.join('\n');
}
