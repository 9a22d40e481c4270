/** A change function's report, told: one log line for the report, one per failed service, and its metrics. */
import { LOG_MESSAGES, SERVICE_LOG_KEY } from '../contract.ts';
import type { Telemetry } from '../core/ports.ts';
import { metricValuesOf, type Report } from '../core/report.ts';

export function publishReport(report: Report, telemetry: Telemetry): void {
  telemetry.info(LOG_MESSAGES.redeployReport, { report });
  for (const service of report.services) {
    if (service.action !== 'failed') continue;
    telemetry.error(LOG_MESSAGES.serviceRedeployFailed, {
      [SERVICE_LOG_KEY]: {
        serviceArn: service.serviceArn,
        serviceName: service.serviceName,
        clusterArn: service.clusterArn,
        reason: service.reason,
      },
      change: report.change,
    });
  }
  for (const [metric, value] of metricValuesOf(report)) telemetry.count(metric, value);
}
