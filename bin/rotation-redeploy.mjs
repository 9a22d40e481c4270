#!/usr/bin/env node
// Runs the TypeScript CLI in place, so `npx rotation-redeploy` works right after `npm ci`, with no build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
