/** Lambda entry point for Secrets Manager change events (native and CloudTrail). */
import { createChangeHandler, defaultDependencies } from './change-handler.ts';

export const handler = createChangeHandler('secretsmanager', defaultDependencies());
