/**
 * `npm start` (scripts/local-demo.ts) from a clean environment: its own moto_server, the built bundles,
 * exit 0, every service accounted for, no secret value printed, and no emulator left behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLES = ['secret-changed', 'parameter-changed', 'redeploy-worker'];
/** Every secret value the demo writes contains it (scripts/local-demo.ts). */
const SECRET_MARKER = 'never-printed-';
const DEMO_TIMEOUT_MS = 120_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without anything that would point the demo or the SDK elsewhere. */
function cleanEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const handlerSettings = new Set([
    'TABLE_NAME',
    'QUEUE_URL',
    'COALESCE_SECONDS',
    'DRY_RUN',
    'SELECTION_MODE',
    'CONCURRENCY',
    'UPDATES_PER_SECOND',
  ]);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_') || name.startsWith('POWERTOOLS_') || handlerSettings.has(name)) continue;
    env[name] = value;
  }
  return { ...env, ...overrides };
}

function runDemo(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-demo.ts'], {
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

/** The rows of the final table ("What changed"), by service name. */
function finalTable(stdout: string): Map<string, { changed: string; why: string }> {
  const section = stdout.slice(stdout.lastIndexOf('What changed'));
  const rows = new Map<string, { changed: string; why: string }>();
  for (const line of section.split('\n')) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length === 6 && (cells[4] === 'yes' || cells[4] === 'no')) {
      rows.set(cells[1] ?? '', { changed: cells[4] ?? '', why: cells[5] ?? '' });
    }
  }
  return rows;
}

beforeAll(() => {
  // `npm test` builds first; a lone `vitest run` may not have.
  if (BUNDLES.some((name) => !existsSync(path.join(ROOT, 'dist', name, 'index.mjs')))) {
    execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'ignore' });
  }
});

describe('npm start (scripts/local-demo.ts)', () => {
  let run: Run;

  beforeAll(async () => {
    run = await runDemo(cleanEnv());
  }, DEMO_TIMEOUT_MS);

  afterAll(() => {
    // The demo leaves its log file for the user; the test's run need not.
    const logFile = /^\s+(\S+functions\.log)$/m.exec(run?.stdout ?? '')?.[1];
    if (logFile !== undefined) rmSync(path.dirname(logFile), { recursive: true, force: true });
  });

  it('exits 0 after starting its own emulator', () => {
    expect(run.stderr).not.toMatch(/The demo stopped/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Started moto_server, the local AWS emulator, on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/Stopped moto_server/);
  });

  it('redeploys the services that read the changed secret or parameter, and says why', () => {
    const rows = finalTable(run.stdout);
    for (const service of ['checkout-api', 'ledger', 'web', 'search', 'audit-log', 'report-archiver']) {
      expect(rows.get(service), service).toMatchObject({
        changed: 'yes',
        why: expect.stringMatching(/^redeployed/),
      });
    }
    expect(rows.get('checkout-api')?.why).toMatch(
      /secret and the parameter changed, one deployment for both/,
    );
    expect(run.stdout).toMatch(/checkout-api: one deployment for 2 changes/);
    expect(run.stdout).toMatch(/6 of 11 services got a new deployment/);
    expect(run.stdout).not.toMatch(/UNEXPECTED/);
  });

  it('names the services it skipped with their reasons, and leaves them alone', () => {
    const rows = finalTable(run.stdout);
    const skipped = {
      refunds: 'pinned-version',
      'fraud-check': 'opted-out',
      'storefront-canary': 'deployment-controller',
      'nightly-report': 'scaled-to-zero',
      'status-page': 'reads neither',
    };
    for (const [service, why] of Object.entries(skipped)) {
      expect(rows.get(service), service).toMatchObject({ changed: 'no', why: expect.stringContaining(why) });
    }
    // The reports themselves, as renderReport prints them.
    expect(run.stdout).toMatch(/fraud-check\s+payments\s+skipped\s+opted-out/);
    expect(run.stdout).toMatch(/storefront-canary\s+storefront\s+skipped\s+deployment-controller/);
  });

  it('shows the AWSPENDING write ignored and the duplicate delivery already handled', () => {
    expect(run.stdout).toMatch(/Ignored: pending-version-only/);
    expect(run.stdout).toMatch(/Ignored: already-handled/);
  });

  it('never prints a secret value, nor logs one', () => {
    expect(run.stdout + run.stderr).not.toContain(SECRET_MARKER);
    const logFile = /^\s+(\S+functions\.log)$/m.exec(run.stdout)?.[1];
    expect(logFile).toBeDefined();
    const log = readFileSync(logFile as string, 'utf8');
    expect(log).toMatch(/"message":"service redeployed"/);
    expect(log).not.toContain(SECRET_MARKER);
  });

  it('leaves no moto_server running', () => {
    const port = /Started moto_server, the local AWS emulator, on http:\/\/127\.0\.0\.1:(\d+)/.exec(
      run.stdout,
    )?.[1];
    expect(port).toBeDefined();
    const left = commandLines().filter(
      (line) => line.includes('moto_server') && new RegExp(`-p ${port}(\\s|$)`).test(line),
    );
    expect(left).toEqual([]);
  });
});

describe('npm start without moto_server', () => {
  it('says what to install and exits non-zero', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-moto-'));
    const run = await runDemo(cleanEnv({ PATH: empty })).finally(() => rmSync(empty, { recursive: true }));

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("pip install 'moto[server]'");
  });
});
