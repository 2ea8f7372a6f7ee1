// Three `signatory serve` replicas on one aws store (replicas-suite.ts).
import { describeReplicas } from './replicas-suite';

describeReplicas('aws');
