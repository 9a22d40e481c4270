/**
 * Every limit and default a setting has, in one table. The handlers' settings, the CLI flags, the CDK
 * context and the construct's props all check a value here, so a range is stated once and read everywhere.
 */

export interface Limit {
  /** The value used when none is given. */
  readonly default: number;
  readonly min: number;
  /** `min` itself is refused (a rate of 0 would never act). */
  readonly minExclusive?: boolean;
  readonly max: number;
  /** Whole numbers only. */
  readonly whole: boolean;
  /** Why the range is what it is, printed nowhere but read by whoever changes it. */
  readonly why: string;
}

export const LIMITS = {
  concurrency: {
    default: 8,
    min: 1,
    max: 50,
    whole: true,
    why: 'task definition reads and redeploys in flight per run; more only queues behind the ECS buckets',
  },
  updatesPerSecond: {
    default: 2,
    min: 0,
    minExclusive: true,
    max: 5,
    whole: false,
    why: "the account's UpdateService bucket refills 5 a second and is shared with every other caller",
  },
  coalesceSeconds: {
    default: 60,
    min: 0,
    max: 900,
    whole: true,
    why: 'SQS delays a message at most 15 minutes (900 s)',
  },
  maxReceiveCount: {
    default: 5,
    min: 1,
    max: 1000,
    whole: true,
    why: "receives of one redeploy message before its dead-letter queue; SQS's redrive policy accepts 1 to 1000",
  },
  reservedConcurrency: {
    default: 2,
    min: 1,
    max: 1000,
    whole: true,
    why: 'runs of each change function at once; 1000 is the default account-wide Lambda concurrency',
  },
  visibilityTimeoutSeconds: {
    default: 300,
    min: 1,
    max: 43_200,
    whole: true,
    why: 'how long a claimed service stays held if its worker dies; SQS allows 0 s to 12 hours',
  },
  pollSeconds: {
    default: 15,
    min: 1,
    max: 300,
    whole: true,
    why: '`run --wait`: seconds between two looks at the rollouts still in progress; each look is a paced DescribeServices per service, and a rollout takes minutes',
  },
  waitTimeoutSeconds: {
    default: 1800,
    min: 1,
    max: 86_400,
    whole: true,
    why: '`run --wait`: how long to follow rollouts before the rest are timed-out; a pause lifecycle hook holds a blue/green deployment 24 hours by default',
  },
  ecsShare: {
    default: 0.5,
    min: 0,
    minExclusive: true,
    max: 1,
    whole: false,
    why: "the fraction of each of the account's ECS API buckets (burst and refill) the whole stack may spend; CI/CD and consoles share the rest",
  },
  maxRedeploysPerHour: {
    default: 6,
    min: 1,
    max: 60,
    whole: true,
    why: 'forced deployments of one service by this tool in any hour (the flap guard); past 60, a deployment a minute, it would guard nothing',
  },
  reconcileReadsPerSecond: {
    default: 5,
    min: 0,
    minExclusive: true,
    max: 20,
    whole: false,
    why: "the scheduled reconcile's calls per second of each ECS read action and of the metadata reads; ECS's read buckets refill 20 a second, shared with change events and CI/CD",
  },
  rolloutTimeoutMinutes: {
    default: 60,
    min: 1,
    max: 1440,
    whole: true,
    why: 'the stack: a rollout not ended by then is reported timed-out; a day covers a pause lifecycle hook waiting for a person (24 h by default)',
  },
  changeBatchingWindowSeconds: {
    default: 10,
    min: 1,
    max: 300,
    whole: true,
    why: 'how long the change buffer gathers changes before one scan handles them all; an SQS event source waits at most 300 s, and a burst (a pipeline writing 40 parameters) lasts seconds',
  },
  changeBatchSize: {
    default: 100,
    min: 1,
    max: 10_000,
    whole: true,
    why: 'changes one scan handles at most; an SQS event source with a batching window hands over up to 10,000 messages',
  },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** "a whole number from 1 to 50", "a number above 0 and at most 5": the words every error message uses. */
export function describeLimit(limit: Limit): string {
  const kind = limit.whole ? 'a whole number' : 'a number';
  return limit.minExclusive
    ? `${kind} above ${limit.min} and at most ${limit.max}`
    : `${kind} from ${limit.min} to ${limit.max}`;
}

/** Whether `value` is a number the limit allows. */
export function isWithin(limit: Limit, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (limit.whole && !Number.isInteger(value)) return false;
  if (limit.minExclusive ? value <= limit.min : value < limit.min) return false;
  return value <= limit.max;
}

/**
 * Reads a number from text (an environment variable, a flag, a context value given with `-c`): plain
 * decimal digits only, so `1e1`, `0x10` or `" "` are refused rather than read as something unexpected.
 * Returns undefined when the text is not such a number or is outside the limit.
 */
export function numberWithin(limit: Limit, text: string): number | undefined {
  const trimmed = text.trim();
  if (!(limit.whole ? /^\d+$/ : /^\d+(\.\d+)?$/).test(trimmed)) return undefined;
  const value = Number(trimmed);
  return isWithin(limit, value) ? value : undefined;
}

/** The defaults of the settings that are not numbers. */
export const DEFAULTS = {
  /** Plan only, never call UpdateService: off, since the point of the tool is to redeploy. */
  dryRun: false,
  selectionMode: 'all',
  /** Redeploy CODE_DEPLOY services through their CodeDeploy deployment group: on, so none keeps an old value. */
  codeDeploy: true,
  /** The scheduled reconcile queues the redeploys of the stale services it finds. */
  reconcile: 'fix',
  /** Four runs a day: a value changed with no event (or a failed redeploy) is caught within hours. */
  reconcileSchedule: 'rate(6 hours)',
  /** Publish only the settled reports an operator must act on. */
  notifyOn: 'failures',
} as const;

/** The most entries SendMessageBatch, DeleteMessageBatch and an SQS event source batch take at once. */
export const SQS_BATCH_MAX = 10;
