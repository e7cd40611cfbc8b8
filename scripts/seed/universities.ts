import type { Region } from './cultures.js';

/**
 * Real universities, by region. `mail` names the seeded e-mail domain (`<mail>.edu.example`):
 * realistic enough to read, but under the reserved `.example` TLD so no seeded address can
 * ever reach a real inbox.
 */
export interface University {
  readonly name: string;
  readonly region: Region;
  readonly mail: string;
}

export const UNIVERSITIES: readonly University[] = [
  { name: 'Boğaziçi University', region: 'turkey', mail: 'boun' },
  { name: 'Middle East Technical University', region: 'turkey', mail: 'metu' },
  { name: 'Istanbul Technical University', region: 'turkey', mail: 'itu' },
  { name: 'Bilkent University', region: 'turkey', mail: 'bilkent' },
  { name: 'Koç University', region: 'turkey', mail: 'ku' },
  { name: 'Sabancı University', region: 'turkey', mail: 'sabanciuniv' },
  { name: 'Hacettepe University', region: 'turkey', mail: 'hacettepe' },
  { name: 'Ege University', region: 'turkey', mail: 'ege' },
  { name: 'Nazarbayev University', region: 'kazakhstan', mail: 'nu' },
  { name: 'Al-Farabi Kazakh National University', region: 'kazakhstan', mail: 'kaznu' },
  { name: 'L.N. Gumilyov Eurasian National University', region: 'kazakhstan', mail: 'enu' },
  { name: 'Satbayev University', region: 'kazakhstan', mail: 'satbayev' },
  { name: 'National University of Uzbekistan', region: 'uzbekistan', mail: 'nuu' },
  { name: 'Westminster International University in Tashkent', region: 'uzbekistan', mail: 'wiut' },
  { name: 'Samarkand State University', region: 'uzbekistan', mail: 'samdu' },
  { name: 'Lomonosov Moscow State University', region: 'russia', mail: 'msu' },
  { name: 'Saint Petersburg State University', region: 'russia', mail: 'spbu' },
  { name: 'HSE University', region: 'russia', mail: 'hse' },
  { name: 'Moscow Institute of Physics and Technology', region: 'russia', mail: 'mipt' },
  { name: 'Kazan Federal University', region: 'russia', mail: 'kpfu' },
  { name: 'Baku State University', region: 'azerbaijan', mail: 'bsu' },
  { name: 'ADA University', region: 'azerbaijan', mail: 'ada' },
  { name: 'American University of Central Asia', region: 'kyrgyzstan', mail: 'auca' },
  { name: 'Kyrgyz-Turkish Manas University', region: 'kyrgyzstan', mail: 'manas' },
  { name: 'Technical University of Munich', region: 'germany', mail: 'tum' },
  { name: 'Humboldt University of Berlin', region: 'germany', mail: 'hu-berlin' },
  { name: 'Heidelberg University', region: 'germany', mail: 'uni-heidelberg' },
  { name: 'University College London', region: 'uk', mail: 'ucl' },
  { name: 'University of Edinburgh', region: 'uk', mail: 'ed' },
];

/** The domain of students with no university on their profile. */
export const PERSONAL_MAIL_DOMAIN = 'mail.example';

export function mailDomain(university: University | null): string {
  return university === null ? PERSONAL_MAIL_DOMAIN : `${university.mail}.edu.example`;
}
