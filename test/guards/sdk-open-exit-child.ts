/** Opens the project with the SDK and exits at once, as a short script (or one its orchestrator stops) does. */
import { openFeatureStore } from '../../src/sdk/feature-store.js';

await openFeatureStore(process.argv[2]);
process.exit(0);
