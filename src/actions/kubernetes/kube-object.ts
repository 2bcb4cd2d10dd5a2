/**
 * The plain-data shape of a @kubernetes/client-node model class: the same fields, recursively,
 * without the class's nominal identity.
 */
export type PlainKubeObject<T> = T extends Date
  ? T
  : T extends readonly (infer U)[]
    ? PlainKubeObject<U>[]
    : T extends object
      ? { [K in keyof T]: PlainKubeObject<T[K]> }
      : T;

/**
 * Types a manifest literal as a client-node model, e.g. `kubeObject<V1NetworkPolicy>({...})`.
 * client-node declares its models as classes that only carry static serialisation metadata; the
 * client sends any object of the right shape. This keeps full type checking of every field, which a
 * bare cast would not.
 */
export function kubeObject<T>(value: PlainKubeObject<T>): T {
  return value as unknown as T;
}
