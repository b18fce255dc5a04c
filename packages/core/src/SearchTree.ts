import type { Usage } from "./Usage.js"

/**
 * One node of an explored search tree: a step and where it came from. Node 0 is the root (the prompt, no step).
 */
export interface Node {
  readonly id: number
  readonly parentId: number | undefined
  readonly depth: number
  readonly text: string
  /** The verifier's score of this step, when it was scored. */
  readonly score: number | undefined
  readonly usage: Usage
  readonly finished: boolean
}

/** The explored tree: nodes in creation order, parents before children. */
export interface SearchTree {
  readonly nodes: ReadonlyArray<Node>
}

/** The root node's id. */
export const rootId = 0

/** True when every node's parent exists and comes before it, ids are unique, and depths follow parents. */
export const isConsistent = (tree: SearchTree): boolean => {
  const byId = new Map<number, Node>()
  for (const node of tree.nodes) {
    if (byId.has(node.id)) return false
    if (node.parentId === undefined) {
      if (node.depth !== 0) return false
    } else {
      const parent = byId.get(node.parentId)
      if (parent === undefined || parent.depth + 1 !== node.depth) return false
    }
    byId.set(node.id, node)
  }
  return true
}
