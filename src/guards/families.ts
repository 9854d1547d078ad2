/**
 * The check families the stage runs, in order. Families are plain objects
 * (`CheckFamily`): adding one means adding an entry here.
 */
import type { CheckFamily } from './check.js';
import { anomalyCheck } from './checks/anomaly.js';
import { classImbalanceCheck } from './checks/class-imbalance.js';
import { leakageCheck } from './checks/leakage.js';
import { piiCheck } from './checks/pii.js';
import { driftCheck } from './checks/drift.js';
import { provenanceCheck } from './checks/provenance.js';
import { schemaCheck } from './checks/schema.js';

/** Every family, in the order the stage runs them. */
export function checkFamilies(): CheckFamily[] {
  return [
    { family: 'schema', run: schemaCheck },
    { family: 'provenance', run: provenanceCheck },
    { family: 'drift', run: driftCheck },
    { family: 'anomaly', run: anomalyCheck },
    { family: 'class_imbalance', run: classImbalanceCheck },
    { family: 'leakage', name: 'target', run: leakageCheck },
    { family: 'leakage', name: 'pii', run: piiCheck },
  ];
}
