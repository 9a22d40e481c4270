import { describe, expect, it } from 'vitest';
import {
  isSettleable,
  type Ledger,
  type LedgerEntry,
  notificationSubject,
  SUBJECT_MAX,
  settledReport,
} from '../../functions/core/settled-report.ts';

const ref = (name: string) => ({
  serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/prod/${name}`,
  serviceName: name,
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
});
const entry = (name: string, state: LedgerEntry['state'], endedAt: number | null = null): LedgerEntry => ({
  service: ref(name),
  deploymentId: state === 'pending' ? null : `ecs-svc/${name}`,
  state,
  reason: null,
  endedAt,
});
const ledger = (entries: LedgerEntry[], name = 'prod/db-password'): Ledger => ({
  changeKey: 'key',
  change: {
    kind: 'ssm',
    arn: 'arn',
    name,
    account: '1',
    region: 'us-east-1',
    label: null,
    versionId: null,
    trigger: 't',
  },
  changeSeenAt: 0,
  deadline: 3_600_000,
  entries,
  settled: false,
});

describe('settled report', () => {
  it.each([
    ['every service ended', [entry('a', 'completed', 1000), entry('b', 'failed', 2000)], 10_000, true],
    [
      'one still running before the deadline',
      [entry('a', 'completed', 1000), entry('b', 'in-progress')],
      10_000,
      false,
    ],
    [
      'one still running at the deadline',
      [entry('a', 'completed', 1000), entry('b', 'in-progress')],
      3_600_000,
      true,
    ],
    ['one never started, before the deadline', [entry('a', 'pending')], 10_000, false],
    ['nothing in it', [], 3_600_000, false],
  ])('settles when %s: %s', (_, entries, now, expected) => {
    expect(isSettleable(ledger(entries), now)).toBe(expected);
  });

  it('reports what has not ended by the deadline as timed-out, saying what was last seen', () => {
    const report = settledReport(ledger([entry('a', 'completed', 90_000), entry('b', 'pending')]), 3_600_000);

    expect(report.services.map((s) => [s.service.serviceName, s.state, s.seconds])).toEqual([
      ['a', 'completed', 90],
      ['b', 'timed-out', null],
    ]);
    expect(report.services[1]?.reason).toContain('no deployment was started for it');
    expect(report.summary).toMatchObject({ services: 2, onNewValue: 1, timedOut: 1 });
    expect(report.seconds).toBe(3600);
  });

  it('counts a superseded rollout as on the new value', () => {
    const report = settledReport(
      ledger([entry('a', 'superseded', 5000), entry('b', 'completed', 9000)]),
      10_000,
    );

    expect(report.summary.onNewValue).toBe(2);
    expect(report.seconds).toBe(9);
  });

  it('keeps the subject within SNS limits by shortening the name, never the counts', () => {
    const report = settledReport(
      ledger([entry('a', 'failed', 1000)], `/prod/${'very-long-name/'.repeat(10)}\npassword`),
      2000,
    );

    const subject = notificationSubject(report);

    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject.endsWith(': 0 of 1 service on the new value, 1 rollout failed')).toBe(true);
    expect(subject).not.toContain('\n');
    expect(subject).toMatch(/^\/prod\/very-long-name\/.*\.\.\.: 0 of 1/);
  });

  it('shows a name character SNS or a mail client would refuse or mangle as a question mark', () => {
    const report = settledReport(ledger([entry('a', 'completed', 1000)], 'prod/café\tkey'), 2000);

    expect(notificationSubject(report)).toBe('prod/caf??key: 1 of 1 service on the new value');
  });

  it.each([
    [[entry('a', 'completed', 1000)], '1 of 1 service on the new value'],
    [
      [entry('a', 'completed', 1000), entry('b', 'failed', 1000), entry('c', 'failed', 1000)],
      '1 of 3 services on the new value, 2 rollouts failed',
    ],
    [
      [entry('a', 'superseded', 1000), entry('b', 'failed', 1000), entry('c', 'in-progress')],
      '1 of 3 services on the new value, 1 rollout failed, 1 timed out',
    ],
  ])('words the counts of %j as "%s"', (entries, counts) => {
    expect(notificationSubject(settledReport(ledger(entries), 3_600_000))).toBe(
      `prod/db-password: ${counts}`,
    );
  });
});
