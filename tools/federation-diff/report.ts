import { ABSENT, type Difference } from './answer-diff.js';
import type { LoadedOperation } from './operations.js';
import type { DifferingAnswers } from './verdict.js';

/** Differences listed per group of answers; the rest are counted. */
const DIFFERENCES_SHOWN = 10;
/** Longest value printed in a difference, in characters. */
const VALUE_WIDTH = 80;

/** What happened to one operation. */
export type OperationOutcome =
  | { readonly operation: LoadedOperation; readonly verdict: 'same' }
  | { readonly operation: LoadedOperation; readonly verdict: 'differs'; readonly differing: readonly DifferingAnswers[] }
  | { readonly operation: LoadedOperation; readonly verdict: 'skipped'; readonly reason: string };

/** The report's lines for one operation: `same`, `differs` with where, or `skipped` with why. */
export function outcomeLines(outcome: OperationOutcome): string[] {
  const head = `${outcome.verdict.padEnd(8)} ${outcome.operation.name}  (${outcome.operation.file})`;
  if (outcome.verdict === 'same') return [head];
  if (outcome.verdict === 'skipped') return [`${head}: ${outcome.reason}`];
  return [head, ...outcome.differing.flatMap(differingLines)];
}

function differingLines({ answers, differences }: DifferingAnswers): string[] {
  const response = answers.filter((answer) => answer === 'cold' || answer === 'warm' || answer === 'off');
  const entity = answers.flatMap((answer) => (answer === 'entityCold' ? ['cold'] : answer === 'entityWarm' ? ['warm'] : []));
  const who = `ours, ${[
    ...(response.length > 0 ? [`response cache ${listed(response)}`] : []),
    ...(entity.length > 0 ? [`entity cache alone ${listed(entity)}`] : []),
  ].join(', ')}`;
  const lines = differences.slice(0, DIFFERENCES_SHOWN).map(differenceText);
  if (lines.length === 1) return [`    ${who}: ${lines[0]}`];
  const more = differences.length - DIFFERENCES_SHOWN;
  return [`    ${who}:`, ...lines.map((line) => `      ${line}`), ...(more > 0 ? [`      … and ${more} more`] : [])];
}

function differenceText({ path, expected, actual }: Difference): string {
  return `${path === '' ? '(the answer)' : path}: stock ${valueText(expected)}, ours ${valueText(actual)}`;
}

function valueText(value: unknown): string {
  if (value === ABSENT) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > VALUE_WIDTH ? `${text.slice(0, VALUE_WIDTH - 1)}…` : text;
}

function listed(answers: readonly string[]): string {
  return answers.length === 1 ? (answers[0] as string) : `${answers.slice(0, -1).join(', ')} and ${answers.at(-1)}`;
}

/** The last line: how many were compared, how many differ, how many were skipped. */
export function summaryLine(outcomes: readonly OperationOutcome[]): string {
  const count = (verdict: OperationOutcome['verdict']) => outcomes.filter((outcome) => outcome.verdict === verdict).length;
  const compared = count('same') + count('differs');
  return `${compared} compared: ${count('same')} same, ${count('differs')} differ; ${count('skipped')} skipped.`;
}
