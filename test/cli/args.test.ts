import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../functions/cli/args.ts';

describe('parseArgs', () => {
  it.each([
    [
      ['plan', '--event', 'e.json'],
      {
        name: 'plan',
        eventFiles: ['e.json'],
        json: false,
        selection: 'all',
        concurrency: 8,
        codeDeploy: true,
      },
    ],
    [['run', '--event', 'e.json', '--no-codedeploy'], { name: 'run', codeDeploy: false }],
    [['run', '--event=e.json', '--json'], { name: 'run', eventFiles: ['e.json'], json: true }],
    [['run', '--event', '-'], { name: 'run', eventFiles: ['-'], wait: null }],
    [
      ['plan', '--event', 'a.json', '--json', '--event=b.json', '--event', '-'],
      { name: 'plan', eventFiles: ['a.json', 'b.json', '-'], json: true },
    ],
    [['run', '--event', 'e.json', '--wait'], { wait: { pollSeconds: 15, timeoutSeconds: 1800 } }],
    [
      ['run', '--wait', '--event', 'e.json', '--poll-seconds', '5', '--wait-timeout=600'],
      { wait: { pollSeconds: 5, timeoutSeconds: 600 } },
    ],
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
    [['run', '--event', 'a.json', '--event'], '--event needs a value'],
    [['plan', '--event', '-', '--event', '-'], 'standard input (--event -) can be read only once'],
    [['run', '--event', 'e.json', '--force'], 'unknown option "--force"'],
    [['run', '--event', 'e.json', 'extra'], 'unexpected argument "extra"'],
    [['run', '--event', 'e.json', '--json=yes'], '--json takes no value'],
    [['run', '--event', 'e.json', '--no-codedeploy=1'], '--no-codedeploy takes no value'],
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
    [
      ['plan', '--event', 'e.json', '--wait'],
      '--wait follows the deployments a run starts: plan starts none',
    ],
    [['who-uses', 'prod/db', '--wait'], 'who-uses starts none, only run takes it'],
    [['run', '--event', 'e.json', '--poll-seconds', '5'], '--poll-seconds only applies with --wait'],
    [['run', '--event', 'e.json', '--wait-timeout', '60'], '--wait-timeout only applies with --wait'],
    [
      ['run', '--event', 'e.json', '--wait', '--poll-seconds', '0'],
      '--poll-seconds must be a whole number from 1 to 300, got "0"',
    ],
    [
      ['run', '--event', 'e.json', '--wait', '--wait-timeout', '86401'],
      '--wait-timeout must be a whole number from 1 to 86400, got "86401"',
    ],
    [
      ['run', '--event', 'e.json', '--wait', '--wait-timeout', '1e3'],
      '--wait-timeout must be a whole number',
    ],
  ])('refuses %o: %s', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
