/** Lambda entry point for SSM Parameter Store change events. */
import { createChangeHandler, defaultDependencies } from './change-handler.ts';

export const handler = createChangeHandler('ssm', defaultDependencies());
