// The same helper the engine's actions use: one definition for code and tests.
export { kubeObject } from '../../src/actions/kubernetes/kube-object.js';
