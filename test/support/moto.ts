/**
 * The emulator start-up for the integration tests. It lives in `scripts/emulator.ts`, which `npm start`
 * (scripts/local-demo.ts) uses too; what the emulator does and does not do is in `MOTO-NOTES.md` here.
 */
export * from '../../scripts/emulator.ts';
