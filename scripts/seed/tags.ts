/**
 * The hashtag vocabulary, most popular first: posts draw from it with a Zipf distribution, so
 * rank 0 is the tag that trends. Tags are written as the app stores them (lower-case, NFC,
 * without '#'), in every language of the seed, including non-Latin scripts and letters that
 * case-fold differently (ı, ə, ß), so trending and postsByHashtag meet real Unicode.
 */
export const TAGS: readonly string[] = `
üniversite студент öğrenci exams kampüs сессия sınav studium talaba tələbə
coding final vize kütüphane экзамен internship startup hackathon erasmus mezuniyet
istanbul almaty astana tashkent baku bishkek москва berlin ankara samarkand
ai machinelearning python javascript typescript rust golang datascience opensource linux
staj yemekhane yurt kahve çay burs ders ödev proje tez
общага универ стипендия диплом лекция зачёт пары кофе учёба практика
klausur mensa bibliothek wg semester hausarbeit vorlesung prüfung bafög straße
imtihon dars kutubxona grant stipendiya yotoqxona imtahan dərs kitabxana təqaüd
емтихан студенттер білім қазақстан жатақхана sessiya oqu kitap shakirt bilim
football basketball volleyball chess running gym yoga hiking cycling swimming
futbol basketbol satranç koşu футбол шахматы спорт fußball schach laufen
music müzik музыка concert konser jazz rock kpop playlist guitar
movies film кино dizi series anime books kitaplar книги bücher
travel seyahat путешествия reisen photography fotoğraf фото nature doğa природа
food yemek еда essen plov beşbarmak kebap manti döner baklava
research araştırma наука forschung physics fizik физика math matematik математика
chemistry biology medicine law economics engineering mühendislik architecture design art
career kariyer карьера job iş работа cv interview mülakat собеседование
motivation motivasyon мотивация productivity pomodoro studygram studytips notes deadline allnighter
weekend hafta_sonu выходные friday cuma пятница morning günaydın доброе_утро mood
`
  .trim()
  .split(/\s+/);
