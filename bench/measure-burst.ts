/**
 * Child-process entry: `tsx bench/measure-burst.ts '<spec as JSON>'` prints one line,
 * `BENCH_RESULT <BurstMeasurement as JSON>`. bench/run.ts starts one per burst measurement, so the fake
 * clock of one never touches another.
 */
import { measureBurst } from './burst.ts';
import { RESULT_PREFIX } from './measurement.ts';

const measurement = await measureBurst(JSON.parse(process.argv[2] ?? '{}'));
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(measurement)}\n`);
