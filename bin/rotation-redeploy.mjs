#!/usr/bin/env node
// Runs the TypeScript CLI in place, so `npx rotation-redeploy` works right after `npm ci`, with no build.
// `npx` runs it on the Node 24 that `npm ci` installs (the pinned `node` devDependency); started some other
// way on an older Node, it stops at once and says why rather than failing somewhere inside the SDK.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `rotation-redeploy needs Node.js 22 or newer, but runs on ${process.version}: start it with \`npx rotation-redeploy\` after \`npm ci\` (which installs Node 24), or install Node 24\n`,
  );
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
