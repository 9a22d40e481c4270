/**
 * `npm run bench [-- --repeats N --latency MS --sizes 100x10,1000x20,10000x100 --audit-size 10000x100
 * --burst-sizes 1000x20,10000x100 --burst-naive-up-to 10000]`: runs every measurement in a fresh process
 * (bench/measure.ts, bench/measure-audit.ts, bench/measure-burst.ts), one at a time, and writes bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LIMITS } from '../functions/wiring/limits.ts';
import { AUDIT_SHAPE, type AuditMeasurement } from './audit.ts';
import { renderAudit } from './audit-report.ts';
import { leastCalls } from './bounds.ts';
import { BURST_PIPELINES, type BurstMeasurement } from './burst.ts';
import { type BurstSize, renderBursts } from './burst-report.ts';
import { type Measurement, RESULT_PREFIX, readRotation } from './measurement.ts';
import type { PipelineName } from './pipelines.ts';
import { renderResults, type SizeResults } from './results-report.ts';
import { DEFAULT_LATENCY_MS } from './simulated-ecs.ts';
import { syntheticAccount } from './synthetic-account.ts';

const MEASURE = fileURLToPath(new URL('./measure.ts', import.meta.url));
const MEASURE_AUDIT = fileURLToPath(new URL('./measure-audit.ts', import.meta.url));
const MEASURE_BURST = fileURLToPath(new URL('./measure-burst.ts', import.meta.url));
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const PIPELINES: readonly PipelineName[] = ['ours', 'naive'];

class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

function parseSizes(text: string): { services: number; clusters: number }[] {
  return text.split(',').map((size) => {
    const match = /^(\d+)x(\d+)$/.exec(size.trim());
    if (match === null) throw new BenchUsageError(`--sizes takes SERVICESxCLUSTERS,…, got "${size}"`);
    return { services: Number(match[1]), clusters: Number(match[2]) };
  });
}

function wholeNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new BenchUsageError(`--${name} takes a whole number, got "${text}"`);
  return value;
}

/** The child inherits tsx's loader flags from this process's execArgv. */
function measureInChild<T>(spec: object, script = MEASURE): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(
          new Error(`measurement ${JSON.stringify(spec)} exited with code ${code}: ${stdout.slice(-2000)}`),
        );
      } else {
        resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
      }
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repeats: { type: 'string', default: '3' },
      latency: { type: 'string', default: String(DEFAULT_LATENCY_MS) },
      sizes: { type: 'string', default: '100x10,1000x20,10000x100' },
      'audit-size': { type: 'string', default: `${AUDIT_SHAPE.services}x${AUDIT_SHAPE.clusters}` },
      'burst-sizes': { type: 'string', default: '1000x20,10000x100' },
      'burst-naive-up-to': { type: 'string', default: '10000' },
    },
  });
  const repeats = Math.max(1, wholeNumber('repeats', values.repeats));
  const latencyMs = wholeNumber('latency', values.latency);
  const sizes = parseSizes(values.sizes);
  const command = [
    'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');

  const { parsed } = await readRotation();
  const results: SizeResults[] = [];
  for (const { services, clusters } of sizes) {
    // The same shape always gives the same account: this one is the children's, for its least calls.
    const account = syntheticAccount({ services, clusters, changedSecretArn: parsed.change.arn });
    const measurements: Record<PipelineName, Measurement[]> = { ours: [], naive: [] };
    for (const pipeline of PIPELINES) {
      for (let repeat = 1; repeat <= repeats; repeat += 1) {
        const measurement = await measureInChild<Measurement>({ pipeline, services, clusters, latencyMs });
        measurements[pipeline].push(measurement);
        const last = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
        process.stderr.write(
          `${services} services, ${pipeline}, run ${repeat}/${repeats}: cold ${last(measurement.cold.toLastUpdateMs)}, warm ${last(measurement.warm.toLastUpdateMs)} (virtual), ${((measurement.cold.wallMs + measurement.warm.wallMs) / 1000).toFixed(1)} s real\n`,
        );
      }
    }
    results.push({
      services,
      clusters,
      taskDefinitions: account.taskDefinitions.size,
      matches: account.matchingServiceArns.size,
      least: { cold: leastCalls(account, false), warm: leastCalls(account, true) },
      measurements,
    });
  }

  // The audit: its items and changed items as the issue sets them, its services and clusters as given.
  const audits: AuditMeasurement[] = [];
  for (const { services, clusters } of parseSizes(values['audit-size'])) {
    for (let repeat = 1; repeat <= repeats; repeat += 1) {
      const measurement = await measureInChild<AuditMeasurement>(
        { ...AUDIT_SHAPE, services, clusters, latencyMs },
        MEASURE_AUDIT,
      );
      audits.push(measurement);
      process.stderr.write(
        `audit, ${services} services, run ${repeat}/${repeats}: last UpdateService ${((measurement.toLastUpdateMs ?? measurement.toEndMs) / 1000).toFixed(2)} s (virtual), ${(measurement.wallMs / 1000).toFixed(1)} s real\n`,
      );
    }
  }

  // The naive scanner reads every service for every change: at 10,000 services a burst of 40 is some 900,000
  // simulated calls, minutes of real time on a quiet machine; `--burst-naive-up-to` skips it above a size.
  const naiveUpTo = wholeNumber('burst-naive-up-to', values['burst-naive-up-to']);
  const bursts: BurstSize[] = [];
  for (const { services, clusters } of parseSizes(values['burst-sizes'])) {
    const size: { measurements: Partial<Record<string, BurstMeasurement>>; notRun: Record<string, string> } =
      {
        measurements: {},
        notRun: {},
      };
    for (const pipeline of BURST_PIPELINES) {
      if (pipeline === 'naive' && services > naiveUpTo) {
        size.notRun[pipeline] =
          `Skipped above ${naiveUpTo} services (\`--burst-naive-up-to\`). It reads every service for every change and keeps nothing between changes, so its calls are the burst's changes times one naive scan's (one scan at this size is in the table above).`;
        continue;
      }
      const measurement = await measureInChild<BurstMeasurement>(
        { pipeline, services, clusters, latencyMs },
        MEASURE_BURST,
      );
      size.measurements[pipeline] = measurement;
      process.stderr.write(
        `burst, ${services} services, ${pipeline}: last UpdateService ${measurement.toLastUpdateMs === null ? '—' : `${(measurement.toLastUpdateMs / 1000).toFixed(2)} s`} (virtual), ${(measurement.wallMs / 1000).toFixed(1)} s real\n`,
      );
    }
    bursts.push({ services, clusters, ...size } as BurstSize);
  }

  const markdown = renderResults({
    command,
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      platform: `${platform()} ${release()}`,
    },
    latencyMs,
    repeats,
    sizes: results,
  });
  const auditSection = renderAudit({
    latencyMs,
    updatesPerSecond: LIMITS.updatesPerSecond.default,
    measurements: audits,
  });
  const burstSection = renderBursts(bursts, latencyMs);
  const sections = [markdown.trimEnd(), auditSection, burstSection].filter((section) => section !== '');
  await writeFile(RESULTS, `${sections.join('\n\n')}\n`);
  process.stdout.write(`${sections.join('\n\n')}\nwritten to ${RESULTS}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof BenchUsageError ? 2 : 1);
});
