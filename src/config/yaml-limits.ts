import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/**
 * Bounds on what one YAML file may cost to load. Detectors, playbooks and the service config are
 * small hand-written files; anything past these is a mistake or an attack, never a real config.
 */
export interface YamlLimits {
  /** Largest file read at all, in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of mappings and sequences. */
  readonly maxDepth: number;
  /** Most nodes a document may hold once every alias and merge key is expanded. */
  readonly maxExpandedNodes: number;
}

/** The limits every configuration file is loaded with unless a caller says otherwise. */
export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 1024 * 1024, maxDepth: 64, maxExpandedNodes: 20_000 };

/** A limit a document broke, with the byte offset of the node that broke it. */
export interface YamlLimitViolation {
  readonly offset: number;
  readonly message: string;
}

/**
 * Walks a parsed document's syntax tree, before anything is materialised, and returns the first
 * limit it breaks: too deep, an alias that refers to a node containing it (a cycle), or more nodes
 * once aliases are expanded than `maxExpandedNodes` ("billion laughs", merge-key bombs).
 *
 * The walk never recurses past `maxDepth`, so a hostile document cannot overflow the stack here,
 * and each anchored node's expanded size is computed once, so the walk costs the size of the text,
 * not the size of the expansion.
 */
export function findYamlLimitViolation(doc: Document, limits: YamlLimits): YamlLimitViolation | undefined {
  const expandedSize = new Map<Node, number>();
  const anchors = new Map<string, Node>();
  const ancestors = new Set<Node>();

  const offsetOf = (node: Node): number => node.range?.[0] ?? 0;

  /** Returns the expanded node count of `node`, or a violation. */
  const walk = (node: unknown, depth: number): number | YamlLimitViolation => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      // An unknown anchor is a syntax problem the parser already reported.
      if (target === undefined) return 1;
      if (ancestors.has(target)) {
        return { offset: offsetOf(node), message: `alias *${node.source} refers to a node that contains it (a cycle); replace the alias with the values it should repeat` };
      }
      return expandedSize.get(target) ?? 1;
    }
    if (!isMap(node) && !isSeq(node)) {
      if (isScalar(node) && node.anchor !== undefined) {
        anchors.set(node.anchor, node);
        expandedSize.set(node, 1);
      }
      return 1;
    }
    if (depth > limits.maxDepth) {
      return { offset: offsetOf(node), message: `YAML nesting is deeper than ${limits.maxDepth} levels; flatten the document` };
    }
    // An anchor is visible to aliases after it, including (illegally) those inside it: register it
    // first so such a cycle is seen as one.
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    ancestors.add(node);
    let size = 1;
    for (const item of node.items as unknown[]) {
      const parts = isPair(item) ? [item.key, item.value] : [item];
      for (const part of parts) {
        const partSize = walk(part, depth + 1);
        if (typeof partSize !== 'number') return partSize;
        size += partSize;
        if (size > limits.maxExpandedNodes) {
          // Point at the value that tipped it over: the alias or the anchored collection it repeats.
          return {
            offset: isAlias(part) || isMap(part) || isSeq(part) ? offsetOf(part) : offsetOf(node),
            message: `the document expands to more than ${limits.maxExpandedNodes.toLocaleString('en-US')} values through aliases (&anchor / *alias / <<); write the values out or use fewer aliases`,
          };
        }
      }
    }
    ancestors.delete(node);
    expandedSize.set(node, size);
    return size;
  };

  const result = walk(doc.contents, 1);
  return typeof result === 'number' ? undefined : result;
}
