import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../functions/cli/args.ts';
import { ConfigurationError } from '../../functions/core/errors.ts';
import { settingsFromEnv } from '../../functions/wiring/settings.ts';

describe('parseArgs', () => {
  it.each([
    [
      ['plan', '--event', 'e.json'],
      { name: 'plan', eventFile: 'e.json', json: false, selection: 'all', concurrency: 8 },
    ],
    [['run', '--event=e.json', '--json'], { name: 'run', eventFile: 'e.json', json: true }],
    [['run', '--event', '-'], { name: 'run', eventFile: '-' }],
    [
      ['plan', '--event', 'e.json', '--selection', 'tagged', '--concurrency', '20'],
      { selection: 'tagged', concurrency: 20 },
    ],
    [['who-uses', 'prod/db', '--json'], { name: 'who-uses', query: 'prod/db', json: true }],
    [['who-uses', '--region', 'eu-west-1', '/a/b'], { name: 'who-uses', query: '/a/b', region: 'eu-west-1' }],
    [[], { name: 'help' }],
    [['help'], { name: 'help' }],
    [['plan', '--help'], { name: 'help' }],
  ])('reads %o', (argv, expected) => {
    expect(parseArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [['deploy'], 'unknown command "deploy"'],
    [['plan'], 'plan needs --event FILE'],
    [['run', '--event'], '--event needs a value'],
    [['run', '--event', 'e.json', '--force'], 'unknown option "--force"'],
    [['run', '--event', 'e.json', 'extra'], 'unexpected argument "extra"'],
    [['run', '--event', 'e.json', '--json=yes'], '--json takes no value'],
    [['who-uses'], 'exactly one secret or parameter'],
    [['who-uses', 'a', 'b'], 'exactly one secret or parameter'],
    [['who-uses', 'a', '--event', 'e.json'], 'not --event'],
    [
      ['plan', '--event', 'e.json', '--selection', 'some'],
      '--selection must be "all" or "tagged", got "some"',
    ],
    [
      ['plan', '--event', 'e.json', '--concurrency', '0'],
      '--concurrency must be a whole number from 1 to 50',
    ],
    [['plan', '--event', 'e.json', '--concurrency', '2.5'], '--concurrency must be a whole number'],
  ])('refuses %o: %s', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('settingsFromEnv', () => {
  it('defaults to a direct, real run over every cluster with 8 in flight and 2 updates a second', () => {
    expect(settingsFromEnv({})).toEqual({
      dryRun: false,
      selection: 'all',
      concurrency: 8,
      updatesPerSecond: 2,
      tableName: null,
      queueUrl: null,
      coalesceSeconds: 60,
    });
  });

  it('reads every setting', () => {
    expect(
      settingsFromEnv({
        DRY_RUN: 'true',
        SELECTION_MODE: 'tagged',
        CONCURRENCY: '16',
        UPDATES_PER_SECOND: '0.5',
        TABLE_NAME: 'state',
        QUEUE_URL: 'https://sqs/q',
        COALESCE_SECONDS: '0',
      }),
    ).toEqual({
      dryRun: true,
      selection: 'tagged',
      concurrency: 16,
      updatesPerSecond: 0.5,
      tableName: 'state',
      queueUrl: 'https://sqs/q',
      coalesceSeconds: 0,
    });
  });

  it.each([
    [{ DRY_RUN: 'maybe' }, 'DRY_RUN must be true or false, got "maybe"'],
    [{ SELECTION_MODE: 'ALL' }, 'SELECTION_MODE must be "all" or "tagged", got "ALL"'],
    [{ CONCURRENCY: '100' }, 'CONCURRENCY must be a whole number from 1 to 50, got "100"'],
    [{ UPDATES_PER_SECOND: '6' }, 'UPDATES_PER_SECOND must be a number above 0 and at most 5, got "6"'],
    [{ UPDATES_PER_SECOND: 'fast' }, 'UPDATES_PER_SECOND must be a number above 0 and at most 5'],
    [{ COALESCE_SECONDS: '901' }, 'COALESCE_SECONDS must be a whole number from 0 to 900, got "901"'],
  ])('fails fast on %o, naming the variable', (env, message) => {
    expect(() => settingsFromEnv(env)).toThrow(ConfigurationError);
    expect(() => settingsFromEnv(env)).toThrow(message);
  });
});
