// Bundles each Lambda handler into dist/<name>/index.mjs: the exact files the CDK stack deploys and the
// local demo invokes, so what the tests exercise is what runs in AWS.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
// A .ts module imported from plain JavaScript: the Node.js that npm scripts and `npx cdk` run (Node 24, a
// pinned devDependency) strips its types. The contract holds only constants, so nothing else is needed.
import { BUNDLES } from './functions/contract.ts';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * One entry per Lambda function, from the contract's BUNDLES (the names infra/ deploys): `name` is the
 * bundle's directory under dist/, and its entry point is the handler of the same name.
 */
export const entries = Object.values(BUNDLES).map((name) => ({
  name,
  source: `functions/handlers/${name}.ts`,
}));

// Some dependencies still call require() (CommonJS inside an ESM bundle); Node's ESM scope has none.
const requireShim = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** @param {string} outRoot */
export async function bundleAll(outRoot = path.join(root, 'dist')) {
  const missing = entries.filter((entry) => !existsSync(path.join(root, entry.source)));
  if (missing.length > 0) {
    const list = missing.map((entry) => `  ${entry.name}: ${entry.source}`).join('\n');
    throw new Error(`Cannot build: these Lambda entry points do not exist:\n${list}`);
  }
  for (const entry of entries) {
    const outDir = path.join(outRoot, entry.name);
    // A stale file left from an earlier build (an old chunk, a renamed map) would be deployed too.
    await rm(outDir, { recursive: true, force: true });
    await build({
      entryPoints: [path.join(root, entry.source)],
      outfile: path.join(outDir, 'index.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      // ESM builds of the AWS SDK tree-shake better than their CommonJS twins.
      mainFields: ['module', 'main'],
      minify: true,
      // Error classes take their `name` from the class (functions/core/errors.ts): keep it through minifying.
      keepNames: true,
      sourcemap: true,
      sourcesContent: false,
      // The Lambda runtime's own SDK copy is not pinned: bundle ours so tests and AWS run the same code.
      external: [],
      banner: { js: requireShim },
      logLevel: 'warning',
    });
    // stderr: `npx cdk synth` runs the build first, and stdout is the CDK app's.
    console.error(`built ${path.relative(root, path.join(outDir, 'index.mjs'))}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--outdir DIR` (tests) writes the bundles elsewhere than dist/.
  const outdirFlag = process.argv.indexOf('--outdir');
  const outRoot = outdirFlag === -1 ? undefined : process.argv[outdirFlag + 1];
  try {
    if (outdirFlag !== -1 && !outRoot) throw new Error('--outdir needs a directory');
    await bundleAll(outRoot === undefined ? undefined : path.resolve(outRoot));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
