/** Pure argument parsing for the operator CLI: argv → a command, or a UsageError saying what was wrong. */
import { OPT_TAG_KEY, SELECTION_MODES, type SelectionMode } from '../contract.ts';
import { RefusedInputError } from '../core/errors.ts';
import { OPT_IN } from '../core/service.ts';
import { LIMITS } from '../wiring/limits.ts';
import { DEFAULT_SETTINGS, parseNumber, parseSelection } from '../wiring/settings.ts';

/** A command line the CLI cannot run: an unknown command or option, a missing or extra value. */
export class UsageError extends RefusedInputError {}

const { concurrency, pollSeconds, waitTimeoutSeconds } = LIMITS;

/** The services each selection mode considers. */
export const SELECTED: Readonly<Record<SelectionMode, string>> = {
  all: 'every service of every cluster',
  tagged: `services tagged ${OPT_TAG_KEY}=${OPT_IN}`,
};

const selectionHelp = SELECTION_MODES.map(
  (mode) => `${mode}: ${SELECTED[mode]}${mode === DEFAULT_SETTINGS.selection ? ' (default)' : ''}`,
).join('; ');

export interface CommonOptions {
  readonly json: boolean;
  readonly selection: SelectionMode;
  readonly concurrency: number;
  readonly region: string | undefined;
  /** Redeploy CODE_DEPLOY services through their CodeDeploy deployment group (off: skip them). */
  readonly codeDeploy: boolean;
}

/** `run --wait`: follow every deployment the run started until it ends or the time is up. */
export interface WaitOptions {
  readonly pollSeconds: number;
  readonly timeoutSeconds: number;
}

/** The events a plan or run handles together: one scan for all of them, one report each, in this order. */
export type EventFiles = readonly [string, ...string[]];

export type Command =
  | ({ readonly name: 'plan'; readonly eventFiles: EventFiles } & CommonOptions)
  | ({
      readonly name: 'run';
      readonly eventFiles: EventFiles;
      readonly wait: WaitOptions | null;
    } & CommonOptions)
  | ({ readonly name: 'who-uses'; readonly query: string } & CommonOptions)
  | ({ readonly name: 'audit'; readonly fix: boolean } & CommonOptions)
  | { readonly name: 'help' };

export const USAGE = `Usage: rotation-redeploy <command> [options]

Commands:
  plan --event FILE...     What these changes would redeploy (a dry run: never calls UpdateService)
  run --event FILE...      Redeploy every service whose current task definition uses a changed value
  who-uses ARN_OR_NAME     Every service whose current task definition references a secret or parameter
  audit [--fix]            Every service deployed before a value it reads became current; --fix redeploys them
  help                     This text

Options:
  --event FILE             An EventBridge event as JSON (a file, or - for standard input); see events/.
                           Give it several times for a burst of changes: one scan for all of them, one
                           UpdateService per service however many of the changed items it reads, one report
                           per change in the order given (with --json, one JSON object a line)
  --fix                    audit: redeploy the stale services (otherwise only report them)
  --json                   Print exactly the report JSON on stdout
  --selection ${SELECTION_MODES.join('|').padEnd(12)} ${selectionHelp}
  --concurrency N          Task definition reads and redeploys in flight (${concurrency.min}-${concurrency.max}, default ${concurrency.default})
  --region REGION          The Region to scan (default: the SDK's, from AWS_REGION or the profile)
  --wait                   run only: follow every deployment it started until it ends, then print the settled report
  --poll-seconds N         With --wait: seconds between two looks (${pollSeconds.min}-${pollSeconds.max}, default ${pollSeconds.default})
  --wait-timeout SECONDS   With --wait: when to stop waiting; rollouts not ended are timed-out (${waitTimeoutSeconds.min}-${waitTimeoutSeconds.max}, default ${waitTimeoutSeconds.default})
  --no-codedeploy          Skip CODE_DEPLOY services instead of deploying them through their CodeDeploy group

AWS access uses the SDK's standard configuration: AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...
Exit codes: 0 done (ignored events too; audit: stale or not); 1 at least one service failed (with --wait: or a rollout failed or
timed out); 2 refused input.`;

const VALUE_FLAGS = new Set([
  '--event',
  '--selection',
  '--concurrency',
  '--region',
  '--poll-seconds',
  '--wait-timeout',
]);
const BOOLEAN_FLAGS = new Set(['--json', '--wait', '--no-codedeploy', '--fix']);

export function parseArgs(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { name: 'help' };
  if (name !== 'plan' && name !== 'run' && name !== 'who-uses' && name !== 'audit') {
    throw new UsageError(`unknown command "${name}": expected plan, run, who-uses, audit or help`);
  }
  const values = new Map<string, string>();
  const eventFiles: string[] = [];
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let index = 0; index < rest.length; index += 1) {
    const argument = rest[index] ?? '';
    const [flag = '', inline] = argument.startsWith('--') ? argument.split(/=(.*)/s, 2) : [argument];
    if (flag === '--help' || flag === '-h') return { name: 'help' };
    if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? rest[++index];
      if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
      if (flag === '--event') eventFiles.push(value);
      values.set(flag, value);
    } else if (BOOLEAN_FLAGS.has(flag)) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      flags.add(flag);
    } else if (argument.startsWith('--')) {
      throw new UsageError(`unknown option "${flag}"`);
    } else {
      positional.push(argument);
    }
  }
  const common: CommonOptions = {
    json: flags.has('--json'),
    selection: values.has('--selection')
      ? parseSelection('--selection', values.get('--selection') ?? '')
      : DEFAULT_SETTINGS.selection,
    concurrency: values.has('--concurrency')
      ? parseNumber(concurrency, '--concurrency', values.get('--concurrency') ?? '')
      : DEFAULT_SETTINGS.concurrency,
    region: values.get('--region'),
    codeDeploy: !flags.has('--no-codedeploy'),
  };
  if (name !== 'audit' && flags.has('--fix')) throw new UsageError(`--fix belongs to audit, not ${name}`);
  if (name === 'audit') {
    if (values.has('--event')) throw new UsageError('audit looks at every service, it takes no --event');
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    return { name, fix: flags.has('--fix'), ...common };
  }
  const wait = waitOptions(name, flags, values);
  if (name === 'who-uses') {
    if (values.has('--event')) throw new UsageError('who-uses takes a secret or parameter, not --event');
    if (positional.length !== 1)
      throw new UsageError('who-uses needs exactly one secret or parameter ARN or name');
    return { name, query: positional[0] ?? '', ...common };
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const [first, ...more] = eventFiles;
  if (first === undefined) throw new UsageError(`${name} needs --event FILE (an EventBridge event as JSON)`);
  if (eventFiles.filter((file) => file === '-').length > 1)
    throw new UsageError('standard input (--event -) can be read only once');
  const files: EventFiles = [first, ...more];
  return name === 'run'
    ? { name, eventFiles: files, wait, ...common }
    : { name, eventFiles: files, ...common };
}

/** `--wait` and its two settings, checked against the command and the limits table. */
function waitOptions(
  name: 'plan' | 'run' | 'who-uses',
  flags: ReadonlySet<string>,
  values: ReadonlyMap<string, string>,
): WaitOptions | null {
  const tuning = ['--poll-seconds', '--wait-timeout'].filter((flag) => values.has(flag));
  if (!flags.has('--wait')) {
    if (tuning.length > 0) throw new UsageError(`${tuning[0]} only applies with --wait`);
    return null;
  }
  if (name !== 'run') {
    throw new UsageError(
      `--wait follows the deployments a run starts: ${name} starts none, only run takes it`,
    );
  }
  const read = (flag: string, limit: typeof pollSeconds | typeof waitTimeoutSeconds) => {
    const value = values.get(flag);
    return value === undefined ? limit.default : parseNumber(limit, flag, value);
  };
  return {
    pollSeconds: read('--poll-seconds', pollSeconds),
    timeoutSeconds: read('--wait-timeout', waitTimeoutSeconds),
  };
}
