/** Lambda entry point for the change buffer: one scan for each batch of changes, partial batch failures. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent } from 'aws-lambda';
import { scanBufferedChanges } from '../app/scan-buffered-changes.ts';
import { createAwsClients } from '../aws/clients.ts';
import { changeAdapters, clientOptionsOf } from '../wiring/adapters.ts';
import { lambdaInvocation } from '../wiring/invocation.ts';
import { observability, warningsTo } from '../wiring/observability.ts';
import { workerSettingsFromEnv } from '../wiring/settings.ts';

export function createScannerHandler(env: NodeJS.ProcessEnv = process.env) {
  // It hands redeploys to the redeploy queue, once per change key: both the queue and the table are needed.
  const settings = workerSettingsFromEnv(env, 'the change scanner');
  const { logger, metrics, telemetry } = observability();
  const clients = createAwsClients(clientOptionsOf(settings));
  const ports = changeAdapters(clients, settings, warningsTo(telemetry));

  return middy<SQSEvent>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event: SQSEvent, context: Context) =>
      scanBufferedChanges(event.Records, ports, settings, telemetry, lambdaInvocation(context)),
    );
}

export const handler = createScannerHandler();
