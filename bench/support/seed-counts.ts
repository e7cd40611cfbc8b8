import { defaultLikes, type SeedCounts } from '../../scripts/seed/index.js';

/** The bench's data sets (`npm run bench`, `npm run bench:search`): full, and a tenth of it for --quick. */
const FULL = { users: 20_000, posts: 500_000, follows: 200_000, conversations: 2_000, messages: 200_000 };
const QUICK = { users: 2_000, posts: 50_000, follows: 20_000, conversations: 200, messages: 20_000 };

export const BENCH_SEED_COUNTS: Readonly<Record<'full' | 'quick', SeedCounts>> = {
  full: { ...FULL, likes: defaultLikes(FULL) },
  quick: { ...QUICK, likes: defaultLikes(QUICK) },
};

/** The seed of the bench's random generator: the same data on every machine. */
export const BENCH_SEED = 42;
