/** Lambda entry point for the scheduled reconcile: the audit of every service, its stale ones queued or reported. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { reconcile } from '../app/reconcile.ts';
import { createAwsClients } from '../aws/clients.ts';
import type { AuditReport } from '../core/audit-report.ts';
import { auditAdapters, clientOptionsOf } from '../wiring/adapters.ts';
import { lambdaInvocation } from '../wiring/invocation.ts';
import { logFailures, observability, warningsTo } from '../wiring/observability.ts';
import { reconcileSettingsFromEnv } from '../wiring/settings.ts';

export function createReconcileHandler(env: NodeJS.ProcessEnv = process.env) {
  const settings = reconcileSettingsFromEnv(env);
  const { logger, metrics, telemetry } = observability();
  // Every ECS read action paced to the lower of its part of the stack's share (ECS_SHARE) and READS_PER_SECOND;
  // the metadata reads to READS_PER_SECOND (auditAdapters).
  const clients = createAwsClients(clientOptionsOf(settings));
  const ports = auditAdapters(clients, settings, warningsTo(telemetry));
  return (
    middy()
      .use(injectLambdaContext(logger))
      .use(logMetrics(metrics))
      .use(logFailures(telemetry))
      // The scheduled event says only that it is time: nothing in it is read, so nothing in it is parsed.
      .handler(
        async (_event: unknown, context: Context): Promise<AuditReport> =>
          reconcile(ports, settings, telemetry, lambdaInvocation(context)),
      )
  );
}

export const handler = createReconcileHandler();
