/**
 * Child-process entry: `tsx bench/measure.ts '<MeasurementSpec as JSON>'` prints one line,
 * `BENCH_RESULT <Measurement as JSON>`. bench/run.ts starts one per measurement.
 */
import { type MeasurementSpec, measure, RESULT_PREFIX } from './measurement.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as MeasurementSpec;
const measurement = await measure(spec);
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(measurement)}\n`);
