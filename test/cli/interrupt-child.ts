/** The CLI as its executable runs it (signals handled), for test/cli/interrupt.test.ts. */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), undefined, { handleSignals: true });
