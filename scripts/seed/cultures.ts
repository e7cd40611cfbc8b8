/**
 * Where seeded students come from: each culture has its own given names, family names (with
 * the feminine form where the language has one), the language its people mostly post in,
 * and the region whose universities they mostly attend. Russian names are in Cyrillic, as
 * Russian speakers write them; the rest in their Latin alphabets (Turkish, Azerbaijani, Uzbek
 * and Kazakh all have one), so searches and usernames meet real Unicode.
 */

export type Language = 'tr' | 'kk' | 'uz' | 'ru' | 'az' | 'ky' | 'en' | 'de';
export type Region = 'turkey' | 'kazakhstan' | 'uzbekistan' | 'russia' | 'azerbaijan' | 'kyrgyzstan' | 'germany' | 'uk';

export interface Culture {
  readonly language: Language;
  readonly region: Region;
  readonly male: readonly string[];
  readonly female: readonly string[];
  readonly surnames: readonly string[];
  /** The family name a woman carries (Smirnov → Smirnova); identity where there is none. */
  readonly feminine: (surname: string) => string;
}

const same = (surname: string) => surname;
/** -ov/-ev/-in take -a; the Kazakh patronymic -uly becomes -qyzy. */
const slavicStyle = (surname: string) =>
  /(ov|ev|yev|in)$/.test(surname) ? `${surname}a` : surname.endsWith('uly') ? `${surname.slice(0, -3)}qyzy` : surname;
const russian = (surname: string) =>
  surname.endsWith('ский') ? `${surname.slice(0, -4)}ская` : /(ов|ев|ёв|ин)$/.test(surname) ? `${surname}а` : surname;

export const CULTURES = {
  turkish: {
    language: 'tr',
    region: 'turkey',
    male: ['Ahmet', 'Mehmet', 'Mustafa', 'Emre', 'Burak', 'Can', 'Cem', 'Deniz', 'Efe', 'Kerem', 'Mert', 'Oğuz', 'Barış'],
    female: ['Ayşe', 'Fatma', 'Zeynep', 'Elif', 'Merve', 'Büşra', 'Ece', 'Selin', 'İrem', 'Gizem', 'Şeyma', 'Özge', 'Dilara'],
    surnames: [
      'Yılmaz',
      'Kaya',
      'Demir',
      'Şahin',
      'Çelik',
      'Yıldız',
      'Yıldırım',
      'Öztürk',
      'Aydın',
      'Özdemir',
      'Arslan',
      'Doğan',
    ],
    feminine: same,
  },
  kazakh: {
    language: 'kk',
    region: 'kazakhstan',
    male: ['Yerlan', 'Daulet', 'Nurlan', 'Arman', 'Azamat', 'Bauyrzhan', 'Yerzhan', 'Dias', 'Alikhan', 'Temirlan', 'Sanzhar'],
    female: ['Aruzhan', 'Aigerim', 'Dana', 'Madina', 'Aizhan', 'Dinara', 'Zhansaya', 'Ainur', 'Asel', 'Tomiris', 'Kamila'],
    surnames: ['Akhmetov', 'Omarov', 'Abenov', 'Suleimenov', 'Tulegenov', 'Sarsenbayev', 'Kassymov', 'Iskakov', 'Serikuly'],
    feminine: slavicStyle,
  },
  uzbek: {
    language: 'uz',
    region: 'uzbekistan',
    male: ['Aziz', 'Bekzod', 'Jasur', 'Sardor', 'Otabek', 'Javohir', 'Doniyor', 'Shohruh', 'Sherzod', 'Jamshid'],
    female: ['Dilnoza', 'Nilufar', 'Gulnora', 'Shahnoza', 'Zarina', 'Malika', 'Sevara', 'Nodira', 'Kamola', 'Mohira'],
    surnames: ['Karimov', 'Rakhimov', 'Yusupov', 'Tursunov', 'Abdullayev', 'Nazarov', 'Ismoilov', 'Mirzayev', 'Sultonov'],
    feminine: slavicStyle,
  },
  russian: {
    language: 'ru',
    region: 'russia',
    male: ['Александр', 'Дмитрий', 'Максим', 'Иван', 'Артём', 'Никита', 'Михаил', 'Сергей', 'Андрей', 'Егор'],
    female: ['Анна', 'Мария', 'Екатерина', 'Анастасия', 'Дарья', 'Полина', 'София', 'Виктория', 'Елизавета', 'Алиса'],
    surnames: ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов', 'Ковальский'],
    feminine: russian,
  },
  azerbaijani: {
    language: 'az',
    region: 'azerbaijan',
    male: ['Elvin', 'Rauf', 'Tural', 'Orxan', 'Elnur', 'Kamran', 'Nicat', 'Ramil', 'Rəşad', 'Fuad'],
    female: ['Aysel', 'Günel', 'Leyla', 'Nərmin', 'Səbinə', 'Aygün', 'Lalə', 'Nigar', 'Ülviyyə', 'Fidan'],
    surnames: ['Məmmədov', 'Əliyev', 'Həsənov', 'Hüseynov', 'Quliyev', 'İsmayılov', 'Abbasov', 'Rzayev', 'Cəfərov'],
    feminine: slavicStyle,
  },
  kyrgyz: {
    language: 'ky',
    region: 'kyrgyzstan',
    male: ['Aibek', 'Bakyt', 'Nurbek', 'Ermek', 'Kubanychbek', 'Almaz', 'Tilek'],
    female: ['Aidana', 'Begimai', 'Cholpon', 'Nurzat', 'Aizada', 'Meerim', 'Saikal'],
    surnames: ['Asanov', 'Dzhumabaev', 'Toktogulov', 'Sydykov', 'Osmonov', 'Mamatov'],
    feminine: slavicStyle,
  },
  english: {
    language: 'en',
    region: 'uk',
    male: ['James', 'Oliver', 'Jack', 'Harry', 'Liam', 'Noah', 'Ethan', 'Samuel', 'Daniel'],
    female: ['Emily', 'Olivia', 'Amelia', 'Isla', 'Grace', 'Chloe', 'Sophie', 'Hannah', 'Lily'],
    surnames: ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Davies', 'Evans', "O'Connor", 'Walker'],
    feminine: same,
  },
  german: {
    language: 'de',
    region: 'germany',
    male: ['Lukas', 'Leon', 'Finn', 'Jonas', 'Paul', 'Felix', 'Maximilian', 'Niklas', 'Moritz'],
    female: ['Mia', 'Lea', 'Lena', 'Anna', 'Emma', 'Marie', 'Laura', 'Johanna', 'Jana'],
    surnames: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Schäfer', 'Groß', 'Krüger', 'Zimmermann'],
    feminine: same,
  },
} as const satisfies Record<string, Culture>;

export type CultureName = keyof typeof CULTURES;

/** How often each culture is drawn: the platform's audience is mostly Turkic-speaking students. */
export const CULTURE_WEIGHTS: Readonly<Record<CultureName, number>> = {
  turkish: 30,
  kazakh: 15,
  uzbek: 12,
  russian: 15,
  azerbaijani: 10,
  kyrgyz: 5,
  english: 7,
  german: 6,
};
