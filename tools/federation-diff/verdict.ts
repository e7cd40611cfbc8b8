import { ABSENT, type Difference, differencesOf } from './answer-diff.js';
import { expectedOfOurs } from './answers.js';
import type { OperationAnswers } from './comparison.js';

/** Ours' answers to one operation, by how the response cache (and the entity cache alone) stood. */
export type OurAnswer = 'cold' | 'warm' | 'off' | 'entityCold' | 'entityWarm';

/** Some of ours' answers that differ from what stock's answer says ours must answer, all in the same places. */
export interface DifferingAnswers {
  readonly answers: readonly OurAnswer[];
  readonly differences: readonly Difference[];
}

/**
 * Where ours' answers differ from stock's (with stock's value-completion nulls reported as
 * errors, as ours reports them): answers that differ alike are grouped. Empty when all are the same.
 */
export function differingAnswersOf(answers: OperationAnswers): DifferingAnswers[] {
  if (answers.stock === undefined) throw new Error('the comparison ran without stock: there is nothing to compare with');
  const expected = expectedOfOurs({}, answers.stock);
  const groups = new Map<string, { answers: OurAnswer[]; differences: Difference[] }>();
  for (const answer of ['cold', 'warm', 'off', 'entityCold', 'entityWarm'] as const) {
    const differences = differencesOf(expected, answers[answer]);
    if (differences.length === 0) continue;
    const key = JSON.stringify(differences, (_key, value) => (value === ABSENT ? '\u0000absent' : value));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { answers: [answer], differences });
    else group.answers.push(answer);
  }
  return [...groups.values()];
}
