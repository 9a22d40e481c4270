/** What every step of the demo works with: the emulator's clients, the seeded account and the functions. */
import type { DemoClients, DemoNames, SeededAccount } from '../demo-account.ts';
import type { Functions } from './lambda-runtime.ts';
import type { StepHeadings } from './output.ts';

export interface Demo {
  readonly clients: DemoClients;
  readonly names: DemoNames;
  readonly account: SeededAccount;
  readonly functions: Functions;
  readonly headings: StepHeadings;
}

/** Every value the demo writes contains this; the test checks that the output never does. */
export const SECRET_MARKER = 'never-printed-';
