import { expect } from 'vitest';
import type { TestPlatform } from './platform.js';

/** A process of the platform, by its service name. */
export type Service = 'gateway' | 'users' | 'posts' | 'messages';

/** The origin of one process of the platform (where its /metrics is). */
export function originOf(target: TestPlatform, service: Service): string {
  return service === 'gateway' ? target.gatewayOrigin : new URL(target.subgraphs[service].url).origin;
}

/** GET /metrics of one process: Prometheus text. */
export async function scrape(target: TestPlatform, service: Service): Promise<string> {
  const response = await fetch(`${originOf(target, service)}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const own = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => own.get(key) === value)) total += Number(match[3]);
  }
  return total;
}

/** How much each selected sample grew between two scrapes. */
export function delta(before: string, after: string, name: string, labels: Record<string, string> = {}): number {
  return sample(after, name, labels) - sample(before, name, labels);
}
