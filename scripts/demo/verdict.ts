/**
 * The demo's verdict as data: what each step did and how every seeded service ended, checked against what
 * its seed says should happen. `npm start` prints it; `--verdict FILE` writes it as JSON for the test.
 */
import type { IgnoreReason } from '../../functions/core/change.ts';
import type { SkipReason } from '../../functions/core/decide.ts';
import { SKIP_REASON_TEXT } from '../../functions/core/reason-texts.ts';
import type { Action } from '../../functions/core/report.ts';
import type { RolloutEnd } from '../../functions/core/rollout.ts';
import type { SettledReport } from '../../functions/core/settled-report.ts';
import type { Expected, SeededService } from '../demo-account.ts';
import type { Batch } from './sqs-event-source.ts';

/** What changed in a change step: the seeded secret or the seeded parameter. */
export type Changed = 'secret' | 'parameter';

/** One service in a change function's report. */
export interface ReportedService {
  readonly name: string;
  readonly serviceArn: string;
  readonly action: Action;
  /** The skip reason, or why it failed; null otherwise. */
  readonly reason: string | null;
}

export type StepRecord =
  | {
      readonly kind: 'account';
      readonly title: string;
      readonly services: readonly { readonly name: string; readonly expected: Expected }[];
    }
  | {
      readonly kind: 'change';
      readonly title: string;
      /** Which of the two items the event was about. */
      readonly item: Changed;
      /** The event's detail-type. */
      readonly event: string;
      readonly ignored: IgnoreReason | null;
      readonly services: readonly ReportedService[];
    }
  | { readonly kind: 'worker'; readonly title: string; readonly batches: readonly Batch[] }
  | {
      readonly kind: 'settle';
      readonly title: string;
      /** The service whose rollout the demo made fail on the circuit breaker. */
      readonly failing: string;
      /** Each change's settled report, as the settle function logged it. */
      readonly reports: readonly {
        readonly change: string;
        readonly summary: SettledReport['summary'];
        readonly services: readonly {
          readonly name: string;
          readonly state: RolloutEnd;
          readonly reason: string | null;
        }[];
      }[];
      /** The subjects of the notifications published. */
      readonly notifications: readonly string[];
    }
  | { readonly kind: 'result'; readonly title: string; readonly changed: number; readonly kept: number };

export type Ending = 'redeployed' | 'skipped' | 'failed' | 'not a user';

export interface ServiceVerdict {
  readonly name: string;
  readonly cluster: string;
  readonly expected: Expected;
  readonly ending: Ending;
  /** The items whose change queued (or redeployed) it. */
  readonly redeployedFor: readonly Changed[];
  readonly skipReason: SkipReason | null;
  /** Why it failed, when a report or the worker said it did. */
  readonly failure: string | null;
  /** UpdateService calls the worker made for it. */
  readonly deployments: number;
  readonly deploymentBefore: string;
  readonly deploymentAfter: string;
  readonly changed: boolean;
  /** The WHY column of the final table. */
  readonly why: string;
  /** null when the service ended as its seed says it should. */
  readonly problem: string | null;
}

export interface DemoVerdict {
  /** Every service ended as its seed says. */
  readonly ok: boolean;
  readonly emulator: { readonly endpoint: string; readonly own: boolean };
  /** The functions' own log lines, as CloudWatch Logs would hold them. */
  readonly logFile: string;
  readonly steps: readonly StepRecord[];
  readonly services: readonly ServiceVerdict[];
}

/** Deployment ids by service ARN, read before the first change and after the queue drained. */
export type Deployments = ReadonlyMap<string, string>;

export function serviceVerdict(
  service: SeededService,
  deployments: { readonly before: Deployments; readonly after: Deployments },
  steps: readonly StepRecord[],
): ServiceVerdict {
  const before = deployments.before.get(service.serviceArn) ?? '(unknown)';
  const after = deployments.after.get(service.serviceArn) ?? '(unknown)';
  const redeployedFor = new Set<Changed>();
  let skipReason: SkipReason | null = null;
  let failure: string | null = null;
  let made = 0;
  let workerFailure: string | null = null;
  for (const step of steps) {
    if (step.kind === 'change') {
      const reported = step.services.find((entry) => entry.serviceArn === service.serviceArn);
      if (reported?.action === 'queued' || reported?.action === 'redeployed') redeployedFor.add(step.item);
      if (reported?.action === 'skipped') skipReason = reported.reason as SkipReason;
      if (reported?.action === 'failed') failure = reported.reason ?? 'failed';
    } else if (step.kind === 'worker') {
      for (const outcome of step.batches.flatMap((batch) => batch.outcomes)) {
        if (outcome.serviceArn !== service.serviceArn) continue;
        if (outcome.did === 'redeployed') {
          made += 1;
          workerFailure = null;
        } else if (outcome.did === 'failed' || outcome.did === 'retry') {
          workerFailure = outcome.reason ?? outcome.did;
        }
      }
    }
  }
  // A message still failing when the queue drained means the service was not redeployed for that change.
  failure ??= workerFailure;
  const ending: Ending =
    failure !== null
      ? 'failed'
      : redeployedFor.size > 0
        ? 'redeployed'
        : skipReason !== null
          ? 'skipped'
          : 'not a user';
  const items = [...redeployedFor];
  const why =
    ending === 'failed'
      ? `failed: ${failure}`
      : ending === 'redeployed'
        ? `redeployed: the ${items.join(' and the ')} changed${items.length > 1 && made === 1 ? ', one deployment for both' : ''}`
        : ending === 'skipped'
          ? `skipped (${skipReason}): ${skipReason === null ? '' : SKIP_REASON_TEXT[skipReason]}`
          : 'reads neither: never considered';
  const changed = before !== after;
  return {
    name: service.name,
    cluster: service.clusterName,
    expected: service.expected,
    ending,
    redeployedFor: items,
    skipReason,
    failure,
    deployments: made,
    deploymentBefore: before,
    deploymentAfter: after,
    changed,
    why,
    problem: problemOf(service.expected, { ending, skipReason, changed, deployments: made }),
  };
}

function problemOf(
  expected: Expected,
  seen: { ending: Ending; skipReason: SkipReason | null; changed: boolean; deployments: number },
): string | null {
  const shouldChange = expected === 'redeployed';
  if (seen.changed !== shouldChange) return `expected ${shouldChange ? 'a new' : 'no new'} deployment`;
  if (shouldChange && seen.ending !== 'redeployed') return `expected redeployed, ended ${seen.ending}`;
  if (shouldChange && seen.deployments !== 1)
    return `expected one deployment, the worker made ${seen.deployments}`;
  if (expected === 'not a user' && seen.ending !== 'not a user') return 'expected no report to name it';
  if (!shouldChange && expected !== 'not a user' && seen.skipReason !== expected) {
    return `expected to be skipped as ${expected}, got ${seen.skipReason ?? 'no skip'}`;
  }
  return null;
}
