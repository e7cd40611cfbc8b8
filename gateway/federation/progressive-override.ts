import type { Supergraph } from '@apollo/federation-internals';

/**
 * Progressive override: `@override(from: "a", label: "percent(25)")` moves a field to its new
 * subgraph for 25% of operations. The planner takes the labels that are on for an operation
 * (`overrideConditions`); stock @apollo/gateway never passes any, so every labelled override is
 * off there. Here each operation rolls every `percent(N)` label; other labels (which Apollo
 * Router leaves to coprocessors) stay off.
 */
export interface ProgressiveOverride {
  /** The `percent(N)` labels of the supergraph and their N. */
  readonly percentages: ReadonlyMap<string, number>;
  /** The labels on for one operation, and a key naming that choice (for plan caches). */
  roll(): OverrideChoice;
}

export interface OverrideChoice {
  readonly conditions: ReadonlyMap<string, boolean>;
  /** Empty when the supergraph has no labels: the plan is the same for every operation. */
  readonly key: string;
}

const PERCENT_LABEL = /^percent\((\d{1,3}(?:\.\d{1,8})?)\)$/;
const NO_LABELS: OverrideChoice = { conditions: new Map(), key: '' };

/** The override labels of `supergraph`'s `join__field(overrideLabel:)`, rolled with `random` (0 ≤ x < 1). */
export function progressiveOverrideOf(supergraph: Supergraph, random: () => number = Math.random): ProgressiveOverride {
  const percentages = new Map<string, number>();
  const joinField = supergraph.schema.directives().find((directive) => directive.name === 'join__field');
  for (const application of joinField?.applications() ?? []) {
    const label = (application.arguments() as { overrideLabel?: unknown }).overrideLabel;
    if (typeof label !== 'string') continue;
    const match = PERCENT_LABEL.exec(label);
    if (match !== null) percentages.set(label, Number(match[1]));
  }
  const labels = [...percentages].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    percentages,
    roll() {
      if (labels.length === 0) return NO_LABELS;
      const conditions = new Map<string, boolean>();
      let key = '';
      for (const [label, percent] of labels) {
        const on = random() * 100 < percent;
        conditions.set(label, on);
        key += on ? '1' : '0';
      }
      return { conditions, key };
    },
  };
}
