import type { Language } from './cultures.js';

/**
 * What seeded students write to each other: short chat lines per language, and group titles.
 * Messages are mostly one line, sometimes two; replies like "ok" come from SHORT_POSTS.
 */
export const CHAT_LINES: Readonly<Record<Language, readonly string[]>> = {
  tr: [
    'Selam, yarınki derse geliyor musun?',
    'Notları bana da atar mısın?',
    'Kütüphanedeyim, yer ayırdım.',
    'Sınav kaçta başlıyor?',
    'Akşam yemekhanede buluşalım mı?',
    'Ödevi teslim ettin mi?',
    'Tamam, görüşürüz!',
    'Hocanın slaytları sistemde yok galiba.',
  ],
  ru: [
    'Привет, ты завтра на паре будешь?',
    'Скинь, пожалуйста, конспект.',
    'Я в библиотеке, занял место.',
    'Во сколько экзамен?',
    'Пойдём в столовую после пары?',
    'Ты уже сдал лабу?',
    'Договорились, до встречи!',
  ],
  kk: [
    'Сәлем, ертең сабаққа келесің бе?',
    'Конспектіні жіберші.',
    'Кітапханадамын, орын алдым.',
    'Емтихан сағат нешеде?',
    'Жарайды, кездескенше!',
  ],
  uz: [
    'Salom, ertaga darsga kelasanmi?',
    'Konspektni yuborib yubor.',
    'Kutubxonadaman, joy oldim.',
    'Imtihon soat nechada?',
    'Xo‘p, ko‘rishguncha!',
  ],
  az: [
    'Salam, sabah dərsə gəlirsən?',
    'Qeydləri mənə göndərərsən?',
    'Kitabxanadayam, yer tutmuşam.',
    'İmtahan saat neçədədir?',
    'Oldu, görüşərik!',
  ],
  ky: [
    'Салам, эртең сабакка келесиңби?',
    'Конспектти жөнөтүп койчу.',
    'Китепканадамын, орун алдым.',
    'Экзамен саат канчада?',
    'Макул, көрүшкөнчө!',
  ],
  en: [
    'Hey, are you coming to the lecture tomorrow?',
    'Can you send me the notes?',
    "I'm at the library, saved you a seat.",
    'What time does the exam start?',
    'Lunch after class?',
    'Did you submit the assignment yet?',
    'Sounds good, see you!',
    'The slides are not on the portal yet.',
  ],
  de: [
    'Hi, kommst du morgen zur Vorlesung?',
    'Kannst du mir die Mitschrift schicken?',
    'Bin in der Bibliothek, hab dir einen Platz frei gehalten.',
    'Wann fängt die Klausur an?',
    'Mensa nach der Vorlesung?',
    'Alles klar, bis dann!',
  ],
};

/** Group titles: `{course}`-less, so any language mix in a group reads fine. */
export const GROUP_TITLES: readonly string[] = [
  'Study group',
  'Linear Algebra 📚',
  'Dorm 4B',
  'Hackathon team',
  'Football on Friday',
  'Physics lab partners',
  'Erasmus 2026',
  'Robotics club',
  'Final exam prep',
  'Chess club ♟️',
  'Film night',
  'Startup idea',
];
