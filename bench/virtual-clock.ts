/**
 * A virtual clock for the whole process: timers, Date, performance.now and process.hrtime are faked
 * (@sinonjs/fake-timers), so the simulator's latency, the SDK's retry backoff and adaptive rate limiter
 * (Date.now + setTimeout, looked up on every call) and our token buckets' sleeps all pass instantly.
 */
import { type FakeMethod, install } from '@sinonjs/fake-timers';

/** Faked: everything that measures or waits for time. Not faked: nextTick and queueMicrotask, which carry no delay. */
const FAKED: FakeMethod[] = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'Date',
  'performance',
  'hrtime',
];

/**
 * Real time with no timer pending and the work unsettled before the work is declared stuck. Measured in
 * real milliseconds, not steps: the SDK reads its shared config files with real I/O, which on a busy
 * machine can outlast any fixed number of quick steps.
 */
export const STALL_AFTER_REAL_MS = 30_000;
/** The real clock, taken before any fake replaces it. */
const realNow = performance.now.bind(performance);

export interface VirtualClock {
  /** Virtual milliseconds since the epoch. */
  now(): number;
  /** Runs `work` to completion, advancing virtual time timer by timer; `onStep` runs after each timer. */
  run<T>(work: () => Promise<T>, onStep?: () => void): Promise<T>;
  /** Lets `ms` of virtual time pass with nothing to do (buckets refill). */
  idle(ms: number): Promise<void>;
  uninstall(): void;
}

/**
 * Node never fires a timer early: it rounds a fractional delay up (libuv counts whole milliseconds)
 * and treats anything under 1 ms as 1 ms. fake-timers truncates (`parseInt`), which would wake a
 * token-bucket sleep of 49.9999 ms a millisecond before its token exists and draw a throttle from the
 * simulator that Node would never cause.
 */
export function nodeTimerDelay(ms: unknown): number {
  const delay = Number(ms);
  return delay >= 1 && delay <= 2_147_483_647 ? Math.ceil(delay) : 1;
}

export function installVirtualClock(
  startMs: number,
  options: { readonly stallAfterRealMs?: number } = {},
): VirtualClock {
  const stallAfterRealMs = options.stallAfterRealMs ?? STALL_AFTER_REAL_MS;
  const clock = install({ now: startMs, toFake: FAKED, loopLimit: 1_000_000 });
  // Same functions as the fakes; only the delay changes.
  const fakeSetTimeout = clock.setTimeout;
  const fakeSetInterval = clock.setInterval;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    fakeSetTimeout(callback, nodeTimerDelay(ms), ...args)) as unknown as typeof setTimeout;
  globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    fakeSetInterval(callback, nodeTimerDelay(ms), ...args)) as unknown as typeof setInterval;

  return {
    now: () => clock.now,
    async run<T>(work: () => Promise<T>, onStep?: () => void): Promise<T> {
      let outcome: { value: T } | { error: unknown } | null = null;
      work().then(
        (value) => {
          outcome = { value };
        },
        (error: unknown) => {
          outcome = { error };
        },
      );
      let idleSince: number | null = null;
      while (outcome === null) {
        idleSince = clock.countTimers() === 0 ? (idleSince ?? realNow()) : null;
        if (idleSince !== null && realNow() - idleSince > stallAfterRealMs) {
          throw new Error(
            `the work is waiting on something other than virtual time (no timer pending for ${stallAfterRealMs} real ms)`,
          );
        }
        await clock.nextAsync();
        onStep?.();
      }
      const settled = outcome as { value: T } | { error: unknown };
      if ('error' in settled) throw settled.error;
      return settled.value;
    },
    async idle(ms: number): Promise<void> {
      await clock.tickAsync(ms);
    },
    uninstall: () => clock.uninstall(),
  };
}
