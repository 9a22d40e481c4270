/** Powertools Logger and Metrics under the contract's names, and the Telemetry port over them. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { LOG_MESSAGES, METRICS_NAMESPACE, SERVICE_NAME } from '../contract.ts';
import { RefusedInputError } from '../core/errors.ts';
import type { Telemetry } from '../core/ports.ts';
import type { PortWarnings } from './adapters.ts';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly telemetry: Telemetry;
}

/** One Logger and one Metrics per execution environment; the middlewares flush them per invocation. */
export function observability(): Observability {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const telemetry: Telemetry = {
    info: (message, fields) => logger.info(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    error: (message, fields) => logger.error(message, fields),
    count: (metric, value) => metrics.addMetric(metric, MetricUnit.Count, value),
    seconds: (metric, value) => metrics.addMetric(metric, MetricUnit.Seconds, value),
  };
  return { logger, metrics, telemetry };
}

/** The adapters' warnings, as log lines. */
export function warningsTo(telemetry: Telemetry): PortWarnings {
  return {
    unplaceable: (serviceArn) => telemetry.warn(LOG_MESSAGES.serviceUnplaceable, { serviceArn }),
    storeError: (error) => telemetry.warn(LOG_MESSAGES.stateTableUnavailable, { error }),
  };
}

/** A middleware saying why an invocation failed, before it is retried or sent to the on-failure destination. */
export function logFailures(telemetry: Telemetry) {
  return {
    onError: async (request: { error: unknown }) => {
      const refused = request.error instanceof RefusedInputError;
      telemetry.error(refused ? LOG_MESSAGES.eventRefused : LOG_MESSAGES.runFailed, { error: request.error });
    },
  };
}
