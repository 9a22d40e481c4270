import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../functions/core/change.ts';
import { changeKey, coveredBy, unversionedKey } from '../../functions/core/change-key.ts';

const FOREIGN = 'arn:aws:ssm:us-east-1:210987654321:parameter/shared/flag';
const parameterEvent = (id: string, time: string) =>
  parseEvent({
    id,
    time,
    source: 'aws.ssm',
    'detail-type': 'Parameter Store Change',
    account: '210987654321',
    region: 'us-east-1',
    resources: [FOREIGN],
    detail: { operation: 'Update', name: '/shared/flag' },
  });

describe('unversionedKey', () => {
  it.each([
    ['2025-11-09T15:30:02Z', 60, 'window:2025-11-09T15:30:00.000Z+60s'],
    ['2025-11-09T15:30:59.999Z', 60, 'window:2025-11-09T15:30:00.000Z+60s'],
    ['2025-11-09T15:31:00Z', 60, 'window:2025-11-09T15:31:00.000Z+60s'],
    ['2025-11-09T15:34:10Z', 300, 'window:2025-11-09T15:30:00.000Z+300s'],
  ])('puts a parameter event at %s in its window of %i s', (time, seconds, expected) => {
    const parsed = parameterEvent('e1', time);
    expect(unversionedKey(parsed.change, parsed, seconds)).toBe(expected);
  });

  it.each([
    ['no queue (the CLI, direct delivery)', null],
    ['a window of 0', 0],
  ])('keys by the event with %s', (_, seconds) => {
    const parsed = parameterEvent('e1', '2025-11-09T15:30:02Z');
    expect(unversionedKey(parsed.change, parsed, seconds)).toBe('event:e1');
  });

  it('keys by the event when the event has no readable time', () => {
    const parsed = parameterEvent('e1', 'yesterday');
    expect(unversionedKey(parsed.change, parsed, 60)).toBe('event:e1');
  });

  it('makes the whole key from the parameter and the window', () => {
    const parsed = parameterEvent('e1', '2025-11-09T15:30:02Z');
    expect(changeKey(parsed.change, null, unversionedKey(parsed.change, parsed, 60))).toBe(
      `${FOREIGN}|window:2025-11-09T15:30:00.000Z+60s`,
    );
  });
});

describe('coveredBy', () => {
  const windowed = `${FOREIGN}|window:2025-11-09T15:30:00.000Z+60s`;
  it.each([
    [windowed, '2025-11-09T15:30:59.999Z', false],
    [windowed, '2025-11-09T15:31:00.000Z', true],
    [`${FOREIGN}|event:e1`, '2025-11-09T15:00:00.000Z', true],
    ['arn:aws:ssm:us-east-1:123456789012:parameter/p|7', '2025-11-09T15:00:00.000Z', true],
  ])('%s is carried in full by a deployment started at %s: %s', (key, startedAt, expected) => {
    expect(coveredBy(key, Date.parse(startedAt))).toBe(expected);
  });
});
