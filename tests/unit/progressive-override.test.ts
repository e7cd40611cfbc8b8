import { Supergraph } from '@apollo/federation-internals';
import { describe, expect, it } from 'vitest';
import { progressiveOverrideOf } from '../../gateway/federation/progressive-override.js';
import { composeSupergraph } from '../support/federation/compose.js';

const supergraphWith = (labels: readonly string[]) =>
  Supergraph.build(
    composeSupergraph([
      {
        name: 'a',
        url: 'http://a',
        typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
          type Query { u: U } type U @key(fields: "id") { id: ID! ${labels.map((_, i) => `f${i}: Int`).join(' ')} }`,
      },
      {
        name: 'b',
        url: 'http://b',
        typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])
          type U @key(fields: "id") { id: ID! ${labels.map((label, i) => `f${i}: Int @override(from: "a", label: "${label}")`).join(' ')} }`,
      },
    ]),
  );

describe('progressive override labels', () => {
  it('reads percent labels and leaves other labels off', () => {
    const override = progressiveOverrideOf(supergraphWith(['percent(12.5)', 'percent(80)', 'beta']));
    expect(Object.fromEntries(override.percentages)).toEqual({ 'percent(12.5)': 12.5, 'percent(80)': 80 });
  });

  it('turns a label on when the roll is under its percentage', () => {
    const rolls = [0.1, 0.9, 0.124, 0.5];
    const override = progressiveOverrideOf(supergraphWith(['percent(12.5)', 'percent(80)']), () => rolls.shift() as number);
    const first = override.roll();
    expect(Object.fromEntries(first.conditions)).toEqual({ 'percent(12.5)': true, 'percent(80)': false });
    const second = override.roll();
    expect(Object.fromEntries(second.conditions)).toEqual({ 'percent(12.5)': true, 'percent(80)': true });
    expect(first.key).not.toBe(second.key);
  });

  it('rolls nothing for a supergraph without labels', () => {
    const override = progressiveOverrideOf(supergraphWith([]), () => {
      throw new Error('no roll expected');
    });
    expect(override.roll()).toEqual({ conditions: new Map(), key: '' });
  });
});
