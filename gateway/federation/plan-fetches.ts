import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';

/** A response path: field names and `@` for each list item, as Flatten nodes and the executor write it. */
export type ResponsePath = readonly (string | number)[];

/** A fetch of a plan and the path the executor runs it at (the Flatten paths above it, joined). */
export interface PlacedFetch {
  readonly fetch: FetchNode;
  readonly path: ResponsePath;
}

/** Every fetch of `plan`, in plan order, with the path it runs at. */
export function fetchesOf(plan: QueryPlan): PlacedFetch[] {
  const found: PlacedFetch[] = [];
  const visit = (node: PlanNode | undefined, path: ResponsePath): void => {
    if (node === undefined) return;
    switch (node.kind) {
      case 'Fetch':
        found.push({ fetch: node, path });
        return;
      case 'Sequence':
      case 'Parallel':
        for (const child of node.nodes) visit(child, path);
        return;
      case 'Flatten':
        visit(node.node, [...path, ...node.path]);
        return;
      case 'Condition':
        visit(node.ifClause, path);
        visit(node.elseClause, path);
        return;
      case 'Defer':
        visit(node.primary.node, path);
        for (const deferred of node.deferred) visit(deferred.node, path);
        return;
    }
  };
  const root = plan.node;
  if (root?.kind === 'Subscription') {
    visit(root.primary, []);
    visit(root.rest, []);
  } else visit(root, []);
  return found;
}

/**
 * How a data source recognises a fetch of the plan it runs: its subgraph, its operation and the
 * path the executor passes it (`pathInIncomingRequest`). One operation text may run at several paths.
 */
export function fetchKey(serviceName: string, operation: string, path: ResponsePath): string {
  return `${serviceName}\u0000${operation}\u0000${path.join('.')}`;
}
