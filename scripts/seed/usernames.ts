import type { Random } from './random.js';

/**
 * Usernames must match ^[a-z0-9_]{3,30}$, but seeded names are Turkish, Azerbaijani, Russian,
 * German...: they are transliterated the way their owners would (Şahin → sahin,
 * Иванов → ivanov, Groß → gross), then shaped like the handles people pick.
 */

const LETTERS: Readonly<Record<string, string>> = {
  ı: 'i',
  ə: 'e',
  ß: 'ss',
  ø: 'o',
  æ: 'ae',
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'yo',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
};

/** Lower-case ASCII letters and digits only; accents dropped, other scripts transliterated. */
export function toAsciiSlug(name: string): string {
  const mapped = Array.from(name.toLowerCase(), (char) => LETTERS[char] ?? char).join('');
  return mapped
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]/g, '');
}

export const MAX_USERNAME_LENGTH = 30;

/** A handle built from a name in one of the shapes people use: ayse_yilmaz, ayseyilmaz, ayilmaz, ayse_y, ayse2003... */
export function usernameFor(random: Random, first: string, last: string): string {
  const f = toAsciiSlug(first) || 'student';
  const l = toAsciiSlug(last) || 'user';
  const shapes = [
    `${f}_${l}`,
    `${f}${l}`,
    `${f.charAt(0)}${l}`,
    `${f}_${l.charAt(0)}`,
    `${f}${random.between(1995, 2008)}`,
    `${l}_${f}`,
  ];
  return fitUsername(random.pick(shapes));
}

/**
 * The same handle with a numeric suffix, for when the plain one is taken (in this run or in
 * the database). The base is shortened so the result still fits in 30 characters.
 */
export function withSuffix(username: string, suffix: number): string {
  const tail = `_${suffix}`;
  return `${username.slice(0, MAX_USERNAME_LENGTH - tail.length)}${tail}`;
}

function fitUsername(candidate: string): string {
  return candidate.slice(0, MAX_USERNAME_LENGTH).padEnd(3, '0');
}
