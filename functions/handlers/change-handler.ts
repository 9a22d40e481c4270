/** The middy handler both change functions share: parse at the edge, run the use case, publish the report. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Buffered, type BufferPorts, bufferChange } from '../app/buffer-change.ts';
import { type HandleChangePorts, redeployForChange } from '../app/handle-change.ts';
import { publishReport } from '../app/publish-report.ts';
import { createAwsClients } from '../aws/clients.ts';
import { type Change, parseEventOfKind } from '../core/change.ts';
import type { Telemetry } from '../core/ports.ts';
import type { Report } from '../core/report.ts';
import { bufferAdapters, changeAdapters, clientOptionsOf } from '../wiring/adapters.ts';
import { lambdaInvocation } from '../wiring/invocation.ts';
import { logFailures, observability, warningsTo } from '../wiring/observability.ts';
import { type Settings, settingsFromEnv } from '../wiring/settings.ts';

export interface ChangeHandlerDependencies {
  readonly settings: Settings;
  readonly ports: HandleChangePorts;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly telemetry: Telemetry;
  /** The change buffer and its metadata reader; null: the function handles each change itself. */
  readonly buffer: BufferPorts | null;
}

/** Real dependencies, created once per execution environment so warm invocations reuse clients and caches. */
export function defaultDependencies(env: NodeJS.ProcessEnv = process.env): ChangeHandlerDependencies {
  const settings = settingsFromEnv(env);
  const { logger, metrics, telemetry } = observability();
  const clients = createAwsClients(clientOptionsOf(settings));
  const ports = changeAdapters(clients, settings, warningsTo(telemetry));
  return { settings, ports, logger, metrics, telemetry, buffer: bufferAdapters(clients, settings) };
}

export function createChangeHandler(kind: Change['kind'], dependencies: ChangeHandlerDependencies) {
  const { settings, ports, logger, metrics, telemetry, buffer } = dependencies;
  return middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(logFailures(telemetry))
    .handler(async (event: unknown, context: Context): Promise<Report | Buffered> => {
      // Refused here, at the edge, whether buffered or not: a bad event never reaches the buffer.
      const parsed = parseEventOfKind(kind, event);
      const invocation = lambdaInvocation(context);
      // An ignored event needs no scan: reported here. A change goes to the buffer, for one scan per burst.
      if (buffer !== null && parsed.ignored === null) {
        return bufferChange(event, parsed, buffer, telemetry, invocation);
      }
      const report = await redeployForChange(parsed, ports, settings, invocation);
      publishReport(report, telemetry);
      return report;
    });
}
