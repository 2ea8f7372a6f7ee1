// Three `signatory serve` replicas on one file store (replicas-suite.ts).
import { describeReplicas } from './replicas-suite';

describeReplicas('file');
