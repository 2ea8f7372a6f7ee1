// Three `signatory serve` replicas on one postgres store (replicas-suite.ts).
import { describeReplicas } from './replicas-suite';

describeReplicas('postgres');
