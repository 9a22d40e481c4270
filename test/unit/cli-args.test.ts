import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../functions/cli/args.ts';

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
    [['audit'], { name: 'audit', fix: false, json: false, selection: 'all' }],
    [
      ['audit', '--fix', '--json', '--selection', 'tagged'],
      { name: 'audit', fix: true, json: true, selection: 'tagged' },
    ],
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
    [['audit', '--event', 'e.json'], 'audit looks at every service, it takes no --event'],
    [['audit', 'prod/db'], 'unexpected argument "prod/db"'],
    [['audit', '--fix=yes'], '--fix takes no value'],
    [['run', '--event', 'e.json', '--fix'], '--fix belongs to audit, not run'],
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
