/**
 * The plain-data shape of a @kubernetes/client-node model class: the same
 * fields, recursively, without the class's nominal identity.
 */
export type PlainKubeObject<T> = T extends Date
  ? T
  : T extends readonly (infer U)[]
    ? PlainKubeObject<U>[]
    : T extends object
      ? { [K in keyof T]: PlainKubeObject<T[K]> }
      : T;

/**
 * Types a literal manifest as a client-node model, e.g.
 * `kubeObject<V1Deployment>({ metadata: { name }, spec: {...} })`.
 *
 * client-node declares its models as classes, but they only carry static
 * serialisation metadata and the client sends any object of the right shape.
 * The lint rule against object literals in class-typed places cannot know
 * that; converting here keeps full type checking of every field.
 */
export function kubeObject<T>(value: PlainKubeObject<T>): T {
  return value as unknown as T;
}
