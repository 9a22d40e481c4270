import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES } from '../../functions/contract.ts';
import { tempDir } from './synth.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
let outDir: string;
let build: ReturnType<typeof spawnSync>;

beforeAll(() => {
  outDir = tempDir('rotation-redeploy-build-');
  build = spawnSync(process.execPath, ['build.mjs', '--outdir', outDir], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
});

describe('build.mjs', () => {
  it('builds every bundle the stack deploys', () => {
    // Progress goes to stderr (stdout belongs to the CDK app when `cdk synth` runs the build first).
    expect(String(build.stderr).trim().split('\n')).toHaveLength(Object.values(BUNDLES).length);
    expect(build.stderr).not.toMatch(/error|warn/i);
    expect(build.status).toBe(0);
    // The same names both ways: build.mjs's entry list and the bundles the construct deploys.
    expect(readdirSync(outDir).sort()).toEqual(Object.values(BUNDLES).sort());
    for (const name of Object.values(BUNDLES)) {
      expect(existsSync(path.join(outDir, name, 'index.mjs'))).toBe(true);
    }
  });

  it.each(Object.values(BUNDLES))(
    'bundles %s as minified ESM with the AWS SDK inside and a require shim',
    (name) => {
      // Act
      const code = readFileSync(path.join(outDir, name, 'index.mjs'), 'utf8');

      // Assess
      const banner =
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);\n";
      expect(code.slice(0, banner.length)).toBe(banner);
      // Nothing left for the Lambda runtime to resolve: no SDK, Powertools or middy import survives.
      // (The one `[require("@aws-sdk/signature-v4-crt");]` in the bundle is inside an error message.)
      const external =
        /(from\s*|import\(\s*|(?<!\[)require\(\s*)["'](@aws-sdk|@smithy|@aws-lambda-powertools|@middy)\/[^"']*/g;
      expect(code.match(external)).toBeNull();
      expect(code.includes('ECSClient')).toBe(true);
      // Minified: a handful of very long lines, not a readable file.
      expect(code.split('\n').length).toBeLessThan(200);
      expect(code.trimEnd().slice(-40)).toMatch(/\n\/\/# sourceMappingURL=index\.mjs\.map$/);
    },
  );

  it.each(Object.values(BUNDLES))(
    'writes a source map for %s that points at the sources without embedding them',
    (name) => {
      // Act
      const map = JSON.parse(readFileSync(path.join(outDir, name, 'index.mjs.map'), 'utf8'));

      // Assess
      expect(map.sources).toEqual(
        expect.arrayContaining([expect.stringMatching(/functions\/handlers\/.*\.ts$/)]),
      );
      expect(map.sourcesContent).toBeUndefined();
    },
  );

  it.each(Object.values(BUNDLES))('produces a %s module that exports the handler', (name) => {
    // Act: load the bundle in a bare Node, as Lambda does (no node_modules next to it), with the settings
    // the stack gives every function (the worker and the settle function refuse to start without their queue
    // and table).
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(path.join(outDir, name, 'index.mjs'))}); console.log(typeof m.handler);`,
      ],
      {
        cwd: tmpdir(),
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/redeploy',
          SETTLE_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/settle',
          TABLE_NAME: 'state',
        },
        timeout: 60_000,
      },
    );

    // Assess
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });
});
