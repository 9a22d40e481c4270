import { describe, expect, it } from 'vitest';
import {
  deferral,
  FLAP_WINDOW_MS,
  type FlapRecord,
  flapRecordExpiresAt,
  flapVerdict,
  NO_FLAPS,
  recordStart,
} from '../../functions/core/flap-guard.ts';

const HOUR = FLAP_WINDOW_MS;
const at = (starts: number[], deferredUntil: number | null = null): FlapRecord => ({ starts, deferredUntil });

describe('flapVerdict', () => {
  it.each([
    ['no deployment yet', NO_FLAPS, 10_000, 6, { allowed: true }],
    ['five in the hour, limit six', at([1, 2, 3, 4, 5]), 10_000, 6, { allowed: true }],
    [
      'six in the hour',
      at([1, 2, 3, 4, 5, 6]),
      10_000,
      6,
      { allowed: false, allowedAt: 1 + HOUR, recent: 6 },
    ],
    ['the oldest has left the hour', at([1, 2, 3, 4, 5, 6]), 1 + HOUR, 6, { allowed: true }],
    ['limit one, one ten minutes ago', at([0]), 600_000, 1, { allowed: false, allowedAt: HOUR, recent: 1 }],
    [
      'a lowered limit counts the newest',
      at([1, 2, 3]),
      10_000,
      2,
      { allowed: false, allowedAt: 2 + HOUR, recent: 2 },
    ],
  ])('%s', (_, record, now, limit, expected) => {
    expect(flapVerdict(record, now, limit)).toEqual(expected);
  });
});

describe('recordStart', () => {
  it('keeps only the newest starts of the last hour, at most the limit, and clears a waiting deferral', () => {
    const record = at([0, 10, 20, HOUR + 5, HOUR + 6], HOUR + 100);

    expect(recordStart(record, HOUR + 50, 3)).toEqual(at([HOUR + 5, HOUR + 6, HOUR + 50]));
    expect(recordStart(record, HOUR + 50, 2)).toEqual(at([HOUR + 6, HOUR + 50]));
  });

  it('stays bounded however many deployments are recorded', () => {
    let record = NO_FLAPS;
    for (let start = 0; start < 1000; start += 1) record = recordStart(record, start * 1000, 6);

    expect(record.starts).toEqual([994_000, 995_000, 996_000, 997_000, 998_000, 999_000]);
  });
});

describe('deferral', () => {
  it('sends the first held message back until the hour allows, at most 15 minutes at a time', () => {
    expect(deferral(NO_FLAPS, 0, 120_500)).toEqual({
      kind: 'wait',
      delaySeconds: 121,
      deferredUntil: 121_000,
      record: at([], 121_000),
    });
    expect(deferral(at([5]), 0, HOUR)).toEqual({
      kind: 'wait',
      delaySeconds: 900,
      deferredUntil: 900_000,
      record: at([5], 900_000),
    });
  });

  it('folds a later message into the one already waiting', () => {
    expect(deferral(at([], 900_000), 10_000, HOUR)).toEqual({ kind: 'fold', until: 900_000 });
  });

  it('never folds the waiting message into itself, even when it comes back early', () => {
    expect(deferral(at([], 900_000), 899_000, HOUR, 900_000)).toMatchObject({ kind: 'wait' });
  });

  it('sends a new message when the one that waited is overdue (lost or still being handled)', () => {
    expect(deferral(at([], 900_000), 900_000, HOUR)).toMatchObject({ kind: 'wait', delaySeconds: 900 });
  });
});

describe('flapRecordExpiresAt', () => {
  it('is an hour after the last start, or when a waiting message is due if later', () => {
    expect(flapRecordExpiresAt(at([1, 5]))).toBe(5 + HOUR);
    expect(flapRecordExpiresAt(at([1], 2 * HOUR))).toBe(2 * HOUR);
  });
});
