/**
 * What the bundles write while they run (Powertools' JSON log lines and EMF metrics, what CloudWatch Logs
 * would hold) goes to a file instead of the terminal, and is parsed so the demo can tell what they did.
 */
import { appendFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { say } from './output.ts';

export interface LogLine {
  readonly level?: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

export class FunctionLogs {
  #file: string | null = null;

  /** Made on first use, so a run that stops early leaves no empty directory behind. */
  get file(): string {
    this.#file ??= path.join(mkdtempSync(path.join(tmpdir(), 'rotation-redeploy-demo-')), 'functions.log');
    return this.#file;
  }

  get written(): boolean {
    return this.#file !== null && existsSync(this.#file);
  }

  /** Runs `run` with stdout and stderr going to the log file; returns its result and the JSON lines written. */
  async capture<T>(run: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
    const chunks: string[] = [];
    const sink = (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') done();
      return true;
    };
    const original = { stdout: process.stdout.write, stderr: process.stderr.write };
    process.stdout.write = sink as typeof process.stdout.write;
    process.stderr.write = sink as typeof process.stderr.write;
    try {
      const result = await run();
      return { result, lines: parseLines(chunks) };
    } finally {
      process.stdout.write = original.stdout;
      process.stderr.write = original.stderr;
      if (chunks.length > 0) appendFileSync(this.file, chunks.join(''));
    }
  }
}

function parseLines(chunks: readonly string[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of chunks.join('').split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // not a JSON line
    }
  }
  return lines;
}

/** WARN and ERROR lines a function logged: shown, since an operator would want to see them. */
export function sayWarnings(lines: readonly LogLine[]): void {
  for (const line of lines) {
    if (line.level === 'WARN' || line.level === 'ERROR' || line.level === 'CRITICAL') {
      say(`  ! the function logged ${line.level}: ${String(line.message)}`);
    }
  }
}
