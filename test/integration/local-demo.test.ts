/**
 * `npm start` (scripts/local-demo.ts) from a clean environment: its own moto_server, the built bundles,
 * exit 0, every service accounted for in the verdict it writes as data, no secret value printed, and no
 * emulator left behind. One smoke test reads the printed text; the rest read the verdict.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES, ENV } from '../../functions/contract.ts';
import { SECRET_MARKER } from '../../scripts/demo/demo.ts';
import type { DemoVerdict, StepRecord } from '../../scripts/demo/verdict.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO_TIMEOUT_MS = 120_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without anything that would point the demo or the SDK elsewhere. */
function cleanEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const handlerSettings = new Set<string>(Object.values(ENV));
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_') || name.startsWith('POWERTOOLS_') || handlerSettings.has(name)) continue;
    env[name] = value;
  }
  return { ...env, ...overrides };
}

function runDemo(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-demo.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS - 5_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Command lines of the processes running now. */
function commandLines(): string[] {
  if (existsSync('/proc/self/cmdline')) {
    const lines: string[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '));
      } catch {
        // gone meanwhile
      }
    }
    return lines;
  }
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n');
}

const changeStep = (verdict: DemoVerdict, title: RegExp) => {
  const step = verdict.steps.find(
    (candidate): candidate is Extract<StepRecord, { kind: 'change' }> =>
      candidate.kind === 'change' && title.test(candidate.title),
  );
  if (step === undefined) throw new Error(`no change step titled ${title}`);
  return step;
};

beforeAll(() => {
  // `npm test` builds first; a lone `vitest run` may not have.
  if (Object.values(BUNDLES).some((name) => !existsSync(path.join(ROOT, 'dist', name, 'index.mjs')))) {
    execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'ignore' });
  }
});

describe('npm start (scripts/local-demo.ts)', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'local-demo-test-'));
  const verdictFile = path.join(scratch, 'verdict.json');
  let run: Run;
  let verdict: DemoVerdict;

  beforeAll(async () => {
    run = await runDemo(cleanEnv(), ['--verdict', verdictFile]);
    verdict = JSON.parse(readFileSync(verdictFile, 'utf8')) as DemoVerdict;
  }, DEMO_TIMEOUT_MS);

  afterAll(() => {
    // The demo leaves its log file for the user; the test's run need not.
    if (verdict !== undefined) rmSync(path.dirname(verdict.logFile), { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('exits 0 after starting its own emulator, every service ending as its seed expects', () => {
    expect(run.stderr).not.toMatch(/The demo stopped/);
    expect(run.code).toBe(0);
    expect(verdict.emulator.own).toBe(true);
    expect(verdict.services.filter((service) => service.problem !== null)).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('redeploys, once each, the services that read the changed secret or parameter', () => {
    const redeployed = verdict.services.filter((service) => service.ending === 'redeployed');
    expect(redeployed.map((service) => service.name).sort()).toEqual(
      ['audit-log', 'checkout-api', 'ledger', 'report-archiver', 'search', 'web'].sort(),
    );
    for (const service of redeployed) {
      expect(service, service.name).toMatchObject({ changed: true, deployments: 1, failure: null });
      expect(service.deploymentAfter).not.toBe(service.deploymentBefore);
    }
    expect(verdict.steps.at(-1)).toMatchObject({ kind: 'result', changed: 6, kept: 5 });
  });

  it('gives a service that reads both items one deployment carrying both changes', () => {
    const checkout = verdict.services.find((service) => service.name === 'checkout-api');
    expect(checkout).toMatchObject({ redeployedFor: ['secret', 'parameter'], deployments: 1 });
    const worker = verdict.steps.find((step) => step.kind === 'worker');
    const outcomes = worker?.kind === 'worker' ? worker.batches.flatMap((batch) => batch.outcomes) : [];
    const forCheckout = outcomes.filter((outcome) => outcome.serviceName === 'checkout-api');
    expect(forCheckout.map((outcome) => outcome.did).sort()).toEqual(['already-done', 'redeployed']);
    expect(forCheckout.find((outcome) => outcome.did === 'redeployed')?.changeKeys).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.did === 'retry' || outcome.did === 'failed')).toEqual([]);
  });

  it('skips the services it must leave alone, each with its reason, and never names the one that reads neither', () => {
    const ended = Object.fromEntries(
      verdict.services.map((service) => [
        service.name,
        [service.ending, service.skipReason, service.changed],
      ]),
    );
    expect(ended).toMatchObject({
      refunds: ['skipped', 'pinned-version', false],
      'fraud-check': ['skipped', 'opted-out', false],
      'storefront-canary': ['skipped', 'deployment-controller', false],
      'nightly-report': ['skipped', 'scaled-to-zero', false],
      'status-page': ['not a user', null, false],
    });
    const rotation = changeStep(verdict, /AWSCURRENT moves/);
    expect(rotation.services.filter((service) => service.action === 'skipped')).toHaveLength(4);
    expect(rotation.services.map((service) => service.name)).not.toContain('status-page');
  });

  it('ignores the AWSPENDING write and the duplicate delivery, looking at no service', () => {
    expect(changeStep(verdict, /AWSPENDING/)).toMatchObject({
      ignored: 'pending-version-only',
      services: [],
    });
    expect(changeStep(verdict, /same event again/)).toMatchObject({
      ignored: 'already-handled',
      services: [],
    });
  });

  it('settles each change once its rollouts end: one fails on the circuit breaker, said so and notified', () => {
    const settle = verdict.steps.find(
      (step): step is Extract<StepRecord, { kind: 'settle' }> => step.kind === 'settle',
    );

    // Both changes reached checkout-api, whose one deployment failed: both reports say so.
    expect(settle?.failing).toBe('checkout-api');
    expect(settle?.reports.map((report) => [report.change, report.summary])).toEqual([
      [
        'prod/db-password',
        { services: 5, onNewValue: 4, completed: 4, superseded: 0, rolloutFailed: 1, timedOut: 0 },
      ],
      [
        '/prod/api/url',
        { services: 2, onNewValue: 1, completed: 1, superseded: 0, rolloutFailed: 1, timedOut: 0 },
      ],
    ]);
    for (const report of settle?.reports ?? []) {
      expect(report.services.find((service) => service.name === 'checkout-api')).toEqual({
        name: 'checkout-api',
        state: 'failed',
        reason: 'ECS deployment circuit breaker: task failed to start.',
      });
    }
    // In whatever order the subscribed queue hands them back.
    expect([...(settle?.notifications ?? [])].sort()).toEqual([
      '/prod/api/url: 1 of 2 services on the new value, 1 rollout failed',
      'prod/db-password: 4 of 5 services on the new value, 1 rollout failed',
    ]);
    expect(run.stdout).toMatch(
      /Subject: prod\/db-password: 4 of 5 services on the new value, 1 rollout failed/,
    );
    expect(readFileSync(verdict.logFile, 'utf8').match(/"message":"redeploy settled"/g)).toHaveLength(2);
  });

  it('prints every step, the reports and the final table (smoke test of the text)', () => {
    const titles = verdict.steps.map((step) => step.title);
    const headings = titles.map((title) => run.stdout.indexOf(`. ${title} ─`));
    expect(headings.every((at) => at >= 0)).toBe(true);
    expect(headings).toEqual([...headings].sort((a, b) => a - b));
    expect(run.stdout).toMatch(/Started moto_server, the local AWS emulator, on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/Ignored: pending-version-only/);
    expect(run.stdout).toMatch(/fraud-check\s+payments\s+skipped\s+opted-out/);
    expect(run.stdout).toMatch(/checkout-api: one deployment for 2 changes/);
    expect(run.stdout).toMatch(/checkout-api\s.*\syes\s+redeployed: the secret and the parameter changed/);
    expect(run.stdout).toMatch(/6 of 11 services got a new deployment; 5 kept theirs\./);
    expect(run.stdout).not.toMatch(/UNEXPECTED/);
    expect(run.stdout).toContain(verdict.logFile);
    expect(run.stdout).toMatch(/Stopped moto_server/);
  });

  it('never prints a secret value, nor logs one', () => {
    expect(run.stdout + run.stderr).not.toContain(SECRET_MARKER);
    const log = readFileSync(verdict.logFile, 'utf8');
    expect(log).toMatch(/"message":"service redeployed"/);
    expect(log).not.toContain(SECRET_MARKER);
  });

  it('leaves no moto_server running', () => {
    const port = new URL(verdict.emulator.endpoint).port;
    expect(port).not.toBe('');
    const left = commandLines().filter(
      (line) => line.includes('moto_server') && new RegExp(`-p ${port}(\\s|$)`).test(line),
    );
    expect(left).toEqual([]);
  });
});

describe('npm start with bad input or without moto_server', () => {
  it('says what to install and exits 2 when moto_server is missing', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-moto-'));
    const run = await runDemo(cleanEnv({ PATH: empty })).finally(() => rmSync(empty, { recursive: true }));

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("pip install 'moto[server]'");
  });

  it('refuses an unknown option, naming the one it takes, and exits 2', async () => {
    const run = await runDemo(cleanEnv(), ['--verdikt', 'x.json']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--verdikt.*--verdict FILE/s);
    expect(run.stdout).not.toMatch(/Started moto_server/);
  });
});
