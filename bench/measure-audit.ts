/**
 * Child-process entry: `tsx bench/measure-audit.ts '<AuditSpec as JSON>'` prints one line,
 * `BENCH_RESULT <AuditMeasurement as JSON>`. bench/run.ts starts one per repeat.
 */
import { type AuditSpec, measureAudit } from './audit.ts';
import { RESULT_PREFIX } from './measurement.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as AuditSpec;
const measurement = await measureAudit(spec);
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(measurement)}\n`);
