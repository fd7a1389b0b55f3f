package models

import (
	"fmt"
	"time"
)

// demoItem is an item of the demo instrument, with one anchor per point of
// the scale 1 (lowest) to 5, in German, English, Turkish and Arabic.
type demoItem struct {
	code, kind string
	labels     Labels
	anchors    Anchors
}

// demoInstrument is a realistic assessment instrument for 8- to
// 15-year-olds (issue 17): four risks (lower is better) and six resources
// (higher is better), each scored 1 to 5. Data, not code: every site keeps
// its own and can change it.
var demoInstrument = []demoItem{
	{"aggression", ItemRisk,
		Labels{"Aggressives Verhalten", "Aggressive behaviour", "Saldırgan davranış", "السلوك العدواني"},
		Anchors{
			DE: []string{"Kein aggressives Verhalten beobachtet", "Selten verbale Ausbrüche, keine Gewalt", "Gelegentlich Drohungen oder Rangeleien",
				"Häufig aggressiv, vereinzelt Gewalt", "Wiederholt körperliche Gewalt"},
			EN: []string{"No aggressive behaviour seen", "Rare verbal outbursts, no violence", "Occasional threats or scuffles",
				"Often aggressive, some violence", "Repeated physical violence"},
			TR: []string{"Saldırgan davranış görülmedi", "Nadiren sözlü öfke patlaması, şiddet yok", "Ara sıra tehdit veya itişme",
				"Sık sık saldırgan, zaman zaman şiddet", "Tekrarlanan fiziksel şiddet"},
			AR: []string{"لم يلاحظ أي سلوك عدواني", "نوبات غضب لفظية نادرة، دون عنف", "تهديدات أو مشاجرات أحيانا",
				"عدواني كثيرا، مع عنف أحيانا", "عنف جسدي متكرر"},
		}},
	{"peer_risk", ItemRisk,
		Labels{"Belastender Freundeskreis", "Risky peer group", "Riskli arkadaş çevresi", "دائرة أصدقاء ذات تأثير سلبي"},
		Anchors{
			DE: []string{"Freundeskreis stützt positives Verhalten", "Überwiegend unauffällige Freunde", "Gemischter Freundeskreis",
				"Überwiegend Freunde mit Regelverstößen", "Fest in einer Gruppe, die Straftaten begeht"},
			EN: []string{"Friends support positive behaviour", "Mostly unremarkable friends", "Mixed group of friends",
				"Mostly friends who break rules", "Firmly in a group that commits offences"},
			TR: []string{"Arkadaşları olumlu davranışı destekliyor", "Arkadaşları çoğunlukla sorunsuz", "Karışık bir arkadaş çevresi",
				"Arkadaşları çoğunlukla kural ihlali yapıyor", "Suç işleyen bir gruba sıkı bağlı"},
			AR: []string{"الأصدقاء يدعمون السلوك الإيجابي", "أغلب الأصدقاء بلا مشكلات", "دائرة أصدقاء مختلطة",
				"أغلب الأصدقاء يخالفون القواعد", "مرتبط بقوة بمجموعة ترتكب جرائم"},
		}},
	{"family_conflict", ItemRisk,
		Labels{"Konflikte in der Familie", "Conflict in the family", "Ailede çatışma", "النزاعات داخل الأسرة"},
		Anchors{
			DE: []string{"Kaum Konflikte, respektvoller Umgang", "Gelegentlicher Streit, der gelöst wird", "Häufiger Streit",
				"Andauernde, belastende Konflikte", "Eskalierende Konflikte, Krisen"},
			EN: []string{"Little conflict, respectful", "Occasional arguments that get resolved", "Frequent arguments",
				"Ongoing, stressful conflict", "Escalating conflict, crises"},
			TR: []string{"Çok az çatışma, saygılı ilişki", "Ara sıra tartışma, çözülüyor", "Sık tartışma",
				"Süregelen, yıpratıcı çatışmalar", "Tırmanan çatışmalar, krizler"},
			AR: []string{"نزاعات قليلة وتعامل باحترام", "خلافات أحيانا يتم حلها", "خلافات متكررة",
				"نزاعات مستمرة ومرهقة", "نزاعات متصاعدة وأزمات"},
		}},
	{"substance_use", ItemRisk,
		Labels{"Konsum von Alkohol oder Drogen", "Alcohol or drug use", "Alkol veya uyuşturucu kullanımı", "تعاطي الكحول أو المخدرات"},
		Anchors{
			DE: []string{"Kein Konsum bekannt", "Einmal ausprobiert", "Gelegentlicher Konsum", "Regelmäßiger Konsum", "Konsum mit deutlichen Folgen"},
			EN: []string{"No use known", "Tried once", "Occasional use", "Regular use", "Use with clear consequences"},
			TR: []string{"Bilinen kullanım yok", "Bir kez denemiş", "Ara sıra kullanım", "Düzenli kullanım", "Belirgin sonuçları olan kullanım"},
			AR: []string{"لا تعاطي معروف", "جربها مرة واحدة", "تعاط من حين لآخر", "تعاط منتظم", "تعاط له عواقب واضحة"},
		}},
	{"school_attendance", ItemResource,
		Labels{"Regelmäßiger Schulbesuch", "Regular school attendance", "Düzenli okula devam", "الانتظام في المدرسة"},
		Anchors{
			DE: []string{"Kommt kaum noch zur Schule", "Fehlt häufig unentschuldigt", "Fehlt gelegentlich unentschuldigt",
				"Fehlt selten, meist entschuldigt", "Kommt regelmäßig und pünktlich"},
			EN: []string{"Hardly goes to school any more", "Often absent without excuse", "Sometimes absent without excuse",
				"Rarely absent, mostly excused", "Attends regularly and on time"},
			TR: []string{"Okula neredeyse hiç gitmiyor", "Sık sık özürsüz devamsızlık", "Ara sıra özürsüz devamsızlık",
				"Nadiren devamsız, çoğunlukla özürlü", "Düzenli ve zamanında geliyor"},
			AR: []string{"لم يعد يذهب إلى المدرسة تقريبا", "يتغيب كثيرا دون عذر", "يتغيب أحيانا دون عذر",
				"نادرا ما يتغيب، وغالبا بعذر", "يحضر بانتظام وفي الوقت"},
		}},
	{"impulse_control", ItemResource,
		Labels{"Impulskontrolle", "Impulse control", "Dürtü kontrolü", "التحكم في الاندفاع"},
		Anchors{
			DE: []string{"Handelt fast immer unüberlegt", "Kann sich selten bremsen", "Bremst sich mit Hilfe von außen",
				"Bremst sich meist selbst", "Erkennt Wut früh und steuert sie"},
			EN: []string{"Almost always acts without thinking", "Can rarely hold back", "Holds back with outside help",
				"Usually holds back alone", "Notices anger early and manages it"},
			TR: []string{"Neredeyse her zaman düşünmeden hareket ediyor", "Kendini nadiren frenleyebiliyor", "Dışarıdan yardımla kendini frenliyor",
				"Çoğunlukla kendini frenliyor", "Öfkesini erken fark edip yönetiyor"},
			AR: []string{"يتصرف دائما تقريبا دون تفكير", "نادرا ما يستطيع كبح نفسه", "يكبح نفسه بمساعدة الآخرين",
				"يكبح نفسه غالبا بمفرده", "يلاحظ غضبه مبكرا ويتحكم فيه"},
		}},
	{"family_support", ItemResource,
		Labels{"Unterstützung durch die Familie", "Support from the family", "Aile desteği", "دعم الأسرة"},
		Anchors{
			DE: []string{"Keine verlässliche Unterstützung", "Wenig Unterstützung", "Unterstützung in Teilen",
				"Meist verlässliche Unterstützung", "Familie unterstützt aktiv und verlässlich"},
			EN: []string{"No reliable support", "Little support", "Some support", "Mostly reliable support", "Family supports actively and reliably"},
			TR: []string{"Güvenilir destek yok", "Az destek", "Kısmen destek", "Çoğunlukla güvenilir destek", "Aile etkin ve güvenilir biçimde destekliyor"},
			AR: []string{"لا يوجد دعم يمكن الاعتماد عليه", "دعم قليل", "دعم جزئي", "دعم يمكن الاعتماد عليه غالبا", "الأسرة تدعم بفعالية وبشكل موثوق"},
		}},
	{"leisure", ItemResource,
		Labels{"Sinnvolle Freizeitgestaltung", "Meaningful leisure", "Anlamlı boş zaman", "وقت فراغ هادف"},
		Anchors{
			DE: []string{"Keine festen Aktivitäten, viel auf der Straße", "Selten Aktivitäten", "Gelegentlich in einem Angebot",
				"Regelmäßig in einem Verein oder Angebot", "Fest eingebunden, eigene Interessen"},
			EN: []string{"No regular activities, much time on the street", "Few activities", "Occasionally takes part in an activity",
				"Regularly in a club or activity", "Firmly involved, own interests"},
			TR: []string{"Düzenli etkinlik yok, çok zaman sokakta", "Az etkinlik", "Ara sıra bir etkinliğe katılıyor",
				"Düzenli olarak bir kulüpte veya etkinlikte", "Sıkı bağlı, kendi ilgi alanları var"},
			AR: []string{"لا أنشطة منتظمة، وقت كثير في الشارع", "أنشطة قليلة", "يشارك أحيانا في نشاط",
				"يشارك بانتظام في ناد أو نشاط", "مندمج بقوة وله اهتماماته الخاصة"},
		}},
	{"self_worth", ItemResource,
		Labels{"Selbstwert", "Self-worth", "Öz değer", "تقدير الذات"},
		Anchors{
			DE: []string{"Sieht kaum eigene Stärken", "Unsicher, leicht abzuwerten", "Schwankendes Selbstbild", "Kennt eigene Stärken",
				"Stabiles, realistisches Selbstbild"},
			EN: []string{"Sees hardly any strengths", "Insecure, easily put down", "Unsteady self-image", "Knows own strengths",
				"Stable, realistic self-image"},
			TR: []string{"Kendinde neredeyse hiç güçlü yön görmüyor", "Güvensiz, kolayca küçümseniyor", "Değişken bir benlik algısı",
				"Güçlü yönlerini biliyor", "Sağlam, gerçekçi bir benlik algısı"},
			AR: []string{"لا يرى في نفسه نقاط قوة تقريبا", "غير واثق، يسهل التقليل منه", "صورة ذاتية متقلبة", "يعرف نقاط قوته",
				"صورة ذاتية مستقرة وواقعية"},
		}},
	{"trusted_adult", ItemResource,
		Labels{"Erwachsene Vertrauensperson", "Trusted adult", "Güvenilen yetişkin", "شخص بالغ موثوق"},
		Anchors{
			DE: []string{"Keine erwachsene Vertrauensperson", "Kontakt zu einer Person, wenig Vertrauen", "Eine Vertrauensperson, selten erreichbar",
				"Eine verlässliche Vertrauensperson", "Mehrere verlässliche Vertrauenspersonen"},
			EN: []string{"No trusted adult", "Contact with one adult, little trust", "One trusted adult, seldom reachable",
				"One reliable trusted adult", "Several reliable trusted adults"},
			TR: []string{"Güvendiği bir yetişkin yok", "Bir yetişkinle temas var, güven az", "Güvendiği bir yetişkin var, nadiren ulaşılabilir",
				"Güvenilir bir yetişkin var", "Birden fazla güvenilir yetişkin var"},
			AR: []string{"لا يوجد شخص بالغ موثوق", "تواصل مع شخص بالغ، ثقة قليلة", "شخص موثوق، نادرا ما يمكن الوصول إليه",
				"شخص بالغ موثوق يمكن الاعتماد عليه", "عدة أشخاص بالغين موثوقين"},
		}},
}

// demoScale is the scale of the demo instrument.
const demoScaleMin, demoScaleMax = 1, 5

func (d demoItem) input() AssessmentItemInput {
	return AssessmentItemInput{Code: d.code, Kind: d.kind, ScaleMin: demoScaleMin, ScaleMax: demoScaleMax, Labels: d.labels, Anchors: d.anchors}
}

// SeedDemoAssessmentItems fills the actor's site instrument (coordinator),
// once.
func (s *Store) SeedDemoAssessmentItems() error {
	existing, err := s.AssessmentItems(true)
	if err != nil || len(existing) > 0 {
		return err
	}
	for _, d := range demoInstrument {
		if _, err := s.CreateAssessmentItem(d.input()); err != nil {
			return fmt.Errorf("models: demo assessment item %s: %w", d.code, err)
		}
	}
	return nil
}

// demoBaseline are the baseline scores of the first active demo case, by
// item code: a boy with a worrying peer group and little leisure, whose
// substance use nobody can judge yet.
var demoBaseline = map[string]*float64{
	"aggression": ptrFloat(4), "peer_risk": ptrFloat(4), "family_conflict": ptrFloat(3), "substance_use": nil,
	"school_attendance": ptrFloat(2), "impulse_control": ptrFloat(2), "family_support": ptrFloat(3), "leisure": ptrFloat(1),
	"self_worth": ptrFloat(2), "trusted_adult": ptrFloat(3),
}

func ptrFloat(v float64) *float64 { return &v }

// SeedDemoAssessments records the baseline of the first active case; the
// other active cases are left without one, so that the start page lists
// them.
func (s *Store) SeedDemoAssessments(today time.Time) error {
	active, err := s.Participants(ParticipantFilter{Status: StatusActive})
	if err != nil || len(active) == 0 {
		return err
	}
	_, _, err = s.RecordAssessment(active[0].ID, AssessmentInput{Occasion: OccasionIntake, AssessedOn: today, Scores: demoBaseline,
		Comment: "Demo: Ersteinschätzung im Gespräch mit Mutter und Sprachmittlung."}, today)
	if err != nil {
		return fmt.Errorf("models: demo assessment: %w", err)
	}
	return nil
}
