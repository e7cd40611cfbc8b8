import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStockGateway } from '../../../tools/federation-diff/gateways.js';
import { composeSupergraph } from './compose.js';
import { type Differential, expectedOfCase, type Fixture, startDifferential } from './differential.js';

/**
 * One test per case of `fixture`: ours, with the response cache cold, warm and off, and with
 * the entity cache alone cold and warm, answers what stock Apollo answers (or the documented
 * fix of the case).
 */
export function describeDifferential(fixture: Fixture): void {
  describe(`federation differential: ${fixture.name}`, () => {
    let differential: Differential;
    beforeAll(async () => {
      differential = await startDifferential(fixture);
    });
    afterAll(() => differential?.stop());

    if (fixture.stockRefuses !== undefined) {
      it(`stock @apollo/gateway refuses the supergraph: ${fixture.stockRefuses}`, async () => {
        const sdl = composeSupergraph(fixture.subgraphs.map((subgraph) => ({ ...subgraph, url: 'http://127.0.0.1:1/graphql' })));
        await expect(startStockGateway(sdl)).rejects.toThrow(/is for: (SECURITY|EXECUTION) but is unsupported/);
      });
    }

    for (const testCase of fixture.cases) {
      it(testCase.name, async () => {
        const answers = await differential.run(testCase);
        // Where stock is known to be wrong, pin what it answers: a fixed stock fails this line.
        if (testCase.beyondStock?.stock !== undefined) expect(answers.stock).toStrictEqual(testCase.beyondStock.stock);
        const expected = expectedOfCase(testCase, answers.stock);
        expect({
          cold: answers.cold,
          warm: answers.warm,
          off: answers.off,
          entityCold: answers.entityCold,
          entityWarm: answers.entityWarm,
        }).toStrictEqual({ cold: expected, warm: expected, off: expected, entityCold: expected, entityWarm: expected });
        // Cold means cold: no earlier case put this answer in the cache; and an answer without
        // errors is cached, so warm means warm.
        expect(answers.xCache.cold).not.toBe('HIT');
        if (answers.xCache.cold === 'MISS' && answers.cold.errors === undefined) expect(answers.xCache.warm).toBe('HIT');
      });
    }
  });
}
