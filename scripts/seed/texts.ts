import type { Language } from './cultures.js';

/**
 * What seeded students write: sentences per language (a post is one or more of them, plus
 * hashtags), one-word replies, and profile bios. `{course}` is replaced by a course name in
 * the same language. No sentence contains '#': the only hashtags in a post are the ones the
 * generator adds, so the tags drawn are exactly the tags extracted.
 */
export interface LanguageTexts {
  readonly sentences: readonly string[];
  readonly courses: readonly string[];
  readonly bios: readonly string[];
}

export const TEXTS: Readonly<Record<Language, LanguageTexts>> = {
  tr: {
    sentences: [
      'Yarın {course} vizesi var ve hâlâ çalışmaya başlamadım.',
      'Kütüphanede boş masa bulmak imkânsız hale geldi.',
      'Yemekhanede bugün yine mercimek çorbası vardı, şikâyetim yok.',
      'Kampüste kediler sınav haftasından daha sakin görünüyor.',
      '{course} hocası ödevin teslim tarihini bir hafta uzattı, teşekkürler!',
      'Sabah sekiz dersine yetişmek için koşmaktan yoruldum.',
      'Staj başvurularım için önerisi olan var mı?',
      'Bu dönem {course} dersini alan var mı, notlarımızı paylaşalım.',
      'Çay ocağındaki sohbetler derslerden daha öğretici bazen.',
      'Final haftasına girerken herkese kolay gelsin.',
      'Proje grubumuz nihayet bir toplantı saatinde anlaştı.',
      'Boğaz manzarası karşısında ders çalışmak başka bir his.',
      'C# ödevi bitmiyor, yardım edebilecek biri var mı?',
      'Burs sonuçları açıklandı, çok mutluyum 🎉',
    ],
    courses: ['Lineer Cebir', 'Fizik 101', 'Veri Yapıları', 'Mikroekonomi', 'Organik Kimya', 'Türk Dili'],
    bios: [
      'Bilgisayar mühendisliği öğrencisi. Kahve ve kod.',
      'Fizik okuyorum, kedileri severim.',
      'İktisat 3. sınıf | kitap kurdu',
      'Hayat kısa, kuşlar uçuyor.',
      'Mimarlık öğrencisi, çizim yapmayı seviyorum.',
    ],
  },
  kk: {
    sentences: [
      'Ертең {course} бойынша емтихан, әлі дайындалып жатырмын.',
      'Кітапханада орын табу қиын болып кетті.',
      'Жатақханада кешкі шай ішу — ең жақсы дәстүр.',
      'Бүгін {course} сабағы өте қызықты болды.',
      'Грант нәтижелері шықты, барлығын құттықтаймын!',
      'Сессия жақындап қалды, барлығына сәттілік.',
      'Кампуста күз өте әдемі 🍂',
      'Тағылымдамаға қайда өтініш беруге болады, кеңес беріңіздерші.',
    ],
    courses: ['Математикалық талдау', 'Физика', 'Бағдарламалау', 'Қазақ әдебиеті', 'Экономика'],
    bios: ['Студент. Алматы.', 'Бағдарламашы болуды армандаймын.', 'Кітап, кофе, тау.'],
  },
  uz: {
    sentences: [
      'Ertaga {course} fanidan imtihon bor, hali tayyor emasman.',
      'Kutubxonada bo‘sh joy topish qiyin.',
      'Yotoqxonada kechki osh eng zo‘r an’ana.',
      'Bugungi {course} darsi juda qiziqarli bo‘ldi.',
      'Grant natijalari e’lon qilindi, hammani tabriklayman!',
      'Sessiya yaqinlashmoqda, hammaga omad.',
      'Amaliyot uchun qayerga hujjat topshirish mumkin?',
      'Samarqandda dam olish kunlari ajoyib o‘tdi ☀️',
    ],
    courses: ['Oliy matematika', 'Fizika', 'Dasturlash', 'Iqtisodiyot', 'Ingliz tili'],
    bios: ['Talaba. Toshkent.', 'Dasturchi bo‘lishni orzu qilaman.', 'Kitoblar va futbol.'],
  },
  ru: {
    sentences: [
      'Завтра экзамен по предмету «{course}», а я ещё не начинал готовиться.',
      'В библиотеке опять нет свободных мест.',
      'В общаге сегодня снова отключили горячую воду.',
      'Лекция по предмету «{course}» была неожиданно интересной.',
      'Стипендию наконец-то перевели, живём!',
      'Сессия близко, всем удачи и побольше кофе ☕',
      'Кто-нибудь знает, где найти хорошую стажировку летом?',
      'Пары с восьми утра — это испытание на прочность.',
      'Наша команда заняла второе место на хакатоне!',
      'Кто идёт в субботу на концерт возле кампуса?',
    ],
    courses: ['Линейная алгебра', 'Матанализ', 'Физика', 'История', 'Программирование'],
    bios: ['Студентка 3 курса. Люблю горы.', 'Физтех. Код и шахматы.', 'Экономист по диплому, музыкант в душе.'],
  },
  az: {
    sentences: [
      'Sabah {course} imtahanı var, hələ hazırlaşmamışam.',
      'Kitabxanada boş yer tapmaq çətindir.',
      'Bu gün {course} dərsi çox maraqlı keçdi.',
      'Təqaüd nəticələri açıqlandı, hamını təbrik edirəm!',
      'Sessiya yaxınlaşır, hamıya uğurlar.',
      'Bulvarda axşam gəzintisi ən yaxşı istirahətdir.',
      'Təcrübə proqramı haqqında məlumatı olan var?',
    ],
    courses: ['Ali riyaziyyat', 'Fizika', 'Proqramlaşdırma', 'İqtisadiyyat', 'Kimya'],
    bios: ['Tələbə. Bakı.', 'Proqramçı olmaq istəyirəm.', 'Kitablar, çay və dəniz.'],
  },
  ky: {
    sentences: [
      'Эртең {course} боюнча экзамен, али даяр эмесмин.',
      'Китепканада бош орун табуу кыйын.',
      'Бүгүнкү {course} сабагы абдан кызыктуу болду.',
      'Сессия жакындап калды, баарына ийгилик.',
      'Ала-Тоо аянтында кечки сейил абдан жакшы.',
    ],
    courses: ['Математика', 'Физика', 'Программалоо', 'Экономика'],
    bios: ['Студент. Бишкек.', 'Тоолорду жакшы көрөм.'],
  },
  en: {
    sentences: [
      'Midterm in {course} tomorrow and I have not opened the book yet.',
      'The library is packed again, not a single free desk.',
      'Hot take: the campus coffee is better than the downtown one.',
      'Our {course} professor just extended the deadline by a week!',
      'Anyone else applying for summer internships? Let us share tips.',
      'Three coffees in and the essay is still at 200 words.',
      'Our team placed second at the hackathon this weekend 🚀',
      'Looking for people to start a study group for {course}.',
      'Sunset over the campus today was unreal.',
      'Finally submitted my thesis draft. Time to sleep for a week.',
    ],
    courses: ['Linear Algebra', 'Organic Chemistry', 'Macroeconomics', 'Data Structures', 'Philosophy 101'],
    bios: ['CS student. Coffee, code and chess.', 'Physics nerd, amateur photographer.', 'Economics @ uni, runner on weekends.'],
  },
  de: {
    sentences: [
      'Morgen ist die Klausur in {course} und ich habe noch nichts gelernt.',
      'In der Bibliothek ist wieder kein einziger Platz frei.',
      'Die Mensa hatte heute überraschend gutes Essen.',
      'Unser Prof in {course} hat die Abgabe um eine Woche verschoben!',
      'Wer sucht noch ein Praktikum für den Sommer?',
      'Lerngruppe für {course} gesucht, wer ist dabei?',
      'Endlich die Hausarbeit abgegeben, jetzt erst mal schlafen.',
      'Die WG-Party gestern war legendär 🎶',
    ],
    courses: ['Analysis I', 'Theoretische Informatik', 'Makroökonomie', 'Experimentalphysik', 'Statistik'],
    bios: ['Informatik im 5. Semester.', 'Physik, Kaffee und Fahrräder.', 'Studiere BWL, liebe Musik.'],
  },
};

/** Replies that are a post on their own: the short end of the 2..2000 character range. */
export const SHORT_POSTS: readonly string[] = ['ok', 'gg', '+1', '😂😂', 'lol', 'да', 'evet', 'ja!', 'ha', 'иә', 'ура!', 'wow'];
