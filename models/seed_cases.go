package models

import (
	"errors"
	"fmt"
	"time"
)

// demoFamily is one synthetic household of the demo data. Names are
// invented; addresses use street names that exist in many towns and
// postcodes of the site's town, with no real household behind them.
type demoFamily struct {
	address   string
	phone     string
	languages []FamilyLanguage
	guardians []demoGuardian
	children  []demoChild
	mediator  bool
}

type demoGuardian struct {
	first, last, relationship string
	custody                   bool
	languages                 []string
}

type demoChild struct {
	first, last, gender string
	age                 int
	status              Status
	reason              string
	notes               string
}

var demoFamilies = []demoFamily{
	{address: "Lindenstraße 12, 45127 Essen", phone: "0201 5550101", mediator: true,
		languages: []FamilyLanguage{{"ar", ModeInterpreter}, {"de", ModeBasic}},
		guardians: []demoGuardian{{"Samira", "Haddad-Demo", "mother", true, []string{"ar"}}, {"Karim", "Haddad-Demo", "father", true, []string{"ar", "de"}}},
		children: []demoChild{{"Yusuf", "Haddad-Demo", "male", 11, StatusActive, "", "Trainingsgruppe dienstags; Schule meldet Fortschritte."},
			{"Lina", "Haddad-Demo", "female", 14, StatusActive, "", "Eigene Zustimmung liegt vor."}}},
	{address: "Bergstraße 3, 45128 Essen", phone: "0201 5550102", mediator: true,
		languages: []FamilyLanguage{{"ku", ModeInterpreter}, {"tr", ModeBasic}},
		guardians: []demoGuardian{{"Berfin", "Demir-Demo", "mother", true, []string{"ku"}}},
		children:  []demoChild{{"Rojhat", "Demir-Demo", "male", 12, StatusConsentPending, "", "Einwilligung angefragt, Termin mit Sprachmittlung folgt."}}},
	{address: "Gartenweg 7, 45130 Essen", phone: "0201 5550103",
		languages: []FamilyLanguage{{"tr", ModeFluent}, {"de", ModeFluent}},
		guardians: []demoGuardian{{"Ayşe", "Kaya-Demo", "mother", true, []string{"tr", "de"}}},
		children:  []demoChild{{"Emre", "Kaya-Demo", "male", 9, StatusContacted, "", "Erstkontakt telefonisch."}}},
	{address: "Schulstraße 21, 45131 Essen", phone: "0201 5550104",
		languages: []FamilyLanguage{{"ro", ModeInterpreter}},
		children:  []demoChild{{"Andrei", "Popescu-Demo", "male", 10, StatusReferred, "", ""}}},
	{address: "Am Markt 2, 45127 Essen", phone: "0201 5550105",
		languages: []FamilyLanguage{{"bg", ModeInterpreter}, {"de", ModeBasic}},
		guardians: []demoGuardian{{"Elena", "Ivanova-Demo", "mother", true, []string{"bg"}}},
		children:  []demoChild{{"Daria", "Ivanova-Demo", "female", 15, StatusCompleted, "", "Abschlussgespräch geführt."}}},
	{address: "Parkallee 9, 45133 Essen", phone: "0201 5550106", mediator: true,
		languages: []FamilyLanguage{{"ar", ModeBasic}, {"de", ModeFluent}},
		guardians: []demoGuardian{{"Nour", "Saleh-Demo", "mother", true, []string{"ar", "de"}}},
		children:  []demoChild{{"Omar", "Saleh-Demo", "male", 13, StatusEndedEarly, "moved", "Familie ist umgezogen."}}},
	{address: "Kirchplatz 4, 45134 Essen", phone: "0201 5550107",
		languages: []FamilyLanguage{{"tr", ModeBasic}},
		guardians: []demoGuardian{{"Fatma", "Yilmaz-Demo", "grandparent", true, []string{"tr"}}},
		children:  []demoChild{{"Kerem", "Yilmaz-Demo", "male", 12, StatusDeclined, "family_refused", ""}}},
	{address: "Ringstraße 15, 45136 Essen", phone: "0201 5550108", mediator: true,
		languages: []FamilyLanguage{{"ar", ModeInterpreter}},
		guardians: []demoGuardian{{"Hiba", "Nasser-Demo", "mother", true, []string{"ar"}}, {"Tarek", "Nasser-Demo", "father", false, []string{"ar"}}},
		children:  []demoChild{{"Ali", "Nasser-Demo", "male", 10, StatusWithdrawn, "", "Mutter hat die Einwilligung widerrufen."}}},
}

// SeedDemoCases fills the actor's site with synthetic families and
// participants in every status, with guardians, consents and assignments.
// It runs as the site's coordinator (kurve_prevention) and does nothing
// when the site has participants already.
func (s *Store) SeedDemoCases(socialWorkerID, mediatorID string, today time.Time) (int, error) {
	existing, err := s.Participants(ParticipantFilter{})
	if err != nil {
		return 0, err
	}
	if len(existing) > 0 {
		return 0, nil
	}
	if err := s.SeedDemoMeasures(); err != nil {
		return 0, err
	}
	if err := s.SeedDemoAssessmentItems(); err != nil {
		return 0, err
	}
	n := 0
	for _, f := range demoFamilies {
		fam, err := s.createFamily(s.actor.SiteID, FamilyInput{Address: &f.address, Phone: &f.phone, Languages: &f.languages})
		if err != nil {
			return n, fmt.Errorf("models: demo family: %w", err)
		}
		for _, ch := range f.children {
			if err := s.seedChild(fam, f, ch, socialWorkerID, mediatorID, today); err != nil {
				return n, fmt.Errorf("models: demo participant %d: %w", n+1, err)
			}
			n++
		}
	}
	if err := s.SeedDemoSessions(socialWorkerID, today); err != nil {
		return n, err
	}
	if err := s.SeedDemoAssessments(today); err != nil {
		return n, err
	}
	return n, s.SeedDemoGroups()
}

// demoGroups are the demo site's session groups (issue 15): the weekly
// social-skills group with every active child, and a smaller one.
var demoGroups = []struct {
	name    string
	members int // the first so many active children; 0: all
}{{"Dienstagsgruppe", 0}, {"Boxen am Freitag", 2}}

// SeedDemoGroups creates the demo groups at the actor's site, owned by the
// actor (the coordinator).
func (s *Store) SeedDemoGroups() error {
	active, err := s.Participants(ParticipantFilter{Status: StatusActive})
	if err != nil || len(active) == 0 {
		return err
	}
	for _, dg := range demoGroups {
		g, err := s.CreateGroup(dg.name)
		if err != nil {
			return fmt.Errorf("models: demo group: %w", err)
		}
		var ids []string
		for i, p := range active {
			if dg.members == 0 || i < dg.members {
				ids = append(ids, p.ID)
			}
		}
		if _, err := s.AddGroupMembers(g.ID, ids); err != nil {
			return fmt.Errorf("models: demo group members: %w", err)
		}
	}
	return nil
}

// demoBirthDate is the date of birth of a demo child: synthetic, derived
// from the name so that a demo referral can name the same child.
func demoBirthDate(first, last string, age int, today time.Time) time.Time {
	return time.Date(today.Year()-age, time.Month(1+len(first)%12), 1+len(last)%27, 0, 0, 0, 0, time.UTC)
}

func (s *Store) seedChild(fam *Family, f demoFamily, ch demoChild, socialWorkerID, mediatorID string, today time.Time) error {
	dob := demoBirthDate(ch.first, ch.last, ch.age, today)
	langs := []string{}
	for _, l := range f.languages {
		langs = append(langs, l.Language)
	}
	p, err := s.CreateParticipant(ParticipantInput{FirstName: &ch.first, LastName: &ch.last, DateOfBirth: &dob,
		Gender: &ch.gender, Languages: &langs, Notes: &ch.notes}, fam.ID, FamilyInput{}, today)
	if err != nil {
		return err
	}
	from := today.AddDate(0, -3, 0)
	if _, err := s.Assign(p.ID, AssignmentInput{UserID: socialWorkerID, Kind: AssignSocialWorker, FromOn: &from}, today); err != nil {
		return err
	}
	if f.mediator {
		if _, err := s.Assign(p.ID, AssignmentInput{UserID: mediatorID, Kind: AssignMediator, FromOn: &from}, today); err != nil {
			return err
		}
	}
	var guardians []*Guardian
	for _, g := range f.guardians {
		existing, err := s.FamilyGuardians(fam.ID)
		if err != nil {
			return err
		}
		in := GuardianInput{FirstName: g.first, LastName: g.last, Relationship: g.relationship, HasCustody: g.custody, Languages: g.languages}
		for _, e := range existing {
			if e.FirstName == g.first && e.LastName == g.last {
				in.GuardianID = e.ID // a sibling's guardian
			}
		}
		added, err := s.AddGuardian(p.ID, in)
		if err != nil {
			return err
		}
		guardians = append(guardians, added)
	}
	path := map[Status][]Status{
		StatusReferred:       nil,
		StatusContacted:      {StatusContacted},
		StatusConsentPending: {StatusContacted, StatusConsentPending},
		StatusActive:         {StatusContacted, StatusConsentPending, StatusActive},
		StatusCompleted:      {StatusContacted, StatusConsentPending, StatusActive, StatusCompleted},
		StatusEndedEarly:     {StatusContacted, StatusConsentPending, StatusActive, StatusEndedEarly},
		StatusDeclined:       {StatusContacted, StatusDeclined},
		StatusWithdrawn:      {StatusContacted, StatusConsentPending, StatusActive},
	}[ch.status]
	consentFrom := ch.status == StatusActive || ch.status == StatusCompleted || ch.status == StatusEndedEarly || ch.status == StatusWithdrawn
	given := today.AddDate(0, -2, 0)
	var consents []*Consent
	for _, g := range guardians {
		state := ConsentRequested
		var on *time.Time
		if consentFrom {
			state, on = ConsentGiven, &given
		}
		if !g.HasCustody {
			continue
		}
		k, err := s.RecordConsent(p.ID, ConsentInput{GuardianID: g.ID, State: state, GivenOn: on, FormVersion: "2026-1",
			FormLanguage: f.languages[0].Language, Purposes: []Purpose{PurposeParticipation, PurposeDataProcessing, PurposePoliceFeedback, PurposeEvaluation},
			MediatorID: map[bool]string{true: mediatorID}[f.mediator]}, today)
		if err != nil {
			return err
		}
		consents = append(consents, k)
	}
	if consentFrom && ch.age >= AssentAge {
		if _, err := s.RecordConsent(p.ID, ConsentInput{State: ConsentGiven, GivenOn: &given, FormVersion: "2026-1",
			FormLanguage: "de", Purposes: []Purpose{PurposeParticipation, PurposeDataProcessing}}, today); err != nil {
			return err
		}
	}
	for _, to := range path {
		cur, err := s.ParticipantByID(p.ID)
		if err != nil {
			return err
		}
		reason := ""
		if to == StatusEndedEarly || to == StatusDeclined {
			reason = ch.reason
		}
		// Casework began some weeks ago: active since 55 days, so that the
		// first case review falls due about now; endings are recent.
		on := map[Status]time.Time{StatusContacted: today.AddDate(0, 0, -80), StatusConsentPending: today.AddDate(0, 0, -70),
			StatusActive: today.AddDate(0, 0, -55)}[to]
		if on.IsZero() {
			on = today.AddDate(0, 0, -5)
		}
		if to == StatusCompleted {
			if err := s.seedClosing(cur, on); err != nil {
				return err
			}
			continue
		}
		if _, err := s.ChangeStatus(p.ID, cur.Version, to, reason, on); err != nil {
			return err
		}
	}
	if ch.status == StatusWithdrawn {
		if len(consents) == 0 {
			return errors.New("withdrawn demo case needs a consent")
		}
		if _, err := s.WithdrawConsent(consents[0].ID, today.AddDate(0, 0, -7), today); err != nil {
			return err
		}
	}
	return nil
}

// seedClosing completes a demo case the only way a case is completed: by
// its closing interview, every goal achieved.
func (s *Store) seedClosing(p *Participant, on time.Time) error {
	goals, err := s.GoalsOf(p.ID)
	if err != nil {
		return err
	}
	outcomes := map[string]string{}
	for _, g := range goals {
		outcomes[g.ID] = "achieved"
	}
	_, err = s.CloseCase(p.ID, p.Version, ClosingInput{EndedOn: on, Assessment: "Demo: Ziele erreicht, Abschlussgespräch mit der Familie.",
		Handover: "school", Outcomes: outcomes, Completed: true}, on)
	return err
}

// demoReferrals are synthetic police referrals. Their intake outcome:
// accepted with feedback consent (in program / program ended), declined,
// and one still waiting in the intake queue.
var demoReferrals = []ReferralInput{
	{FirstName: "Mehmet", LastName: "Aydin-Demo", Gender: "male", ReasonCategory: "violence", PoliceReference: "ES-PP-2026-0101",
		ReferringUnit: "PI Essen-Mitte (Demo)", OfficerName: "PK Demo-Beamtin", GuardianName: "Zehra Aydin-Demo", GuardianPhone: "0201 5550201",
		Notes: "Demo: Rangelei auf dem Schulhof."},
	{FirstName: "Rami", LastName: "Khalil-Demo", Gender: "male", ReasonCategory: "property", PoliceReference: "ES-PP-2026-0102",
		ReferringUnit: "PI Essen-Nord (Demo)", OfficerName: "POK Demo-Beamter", GuardianName: "Mona Khalil-Demo", GuardianPhone: "0201 5550202",
		Notes: "Demo: Ladendiebstahl."},
	{FirstName: "Ionut", LastName: "Stan-Demo", Gender: "male", ReasonCategory: "other", PoliceReference: "ES-PP-2026-0103",
		ReferringUnit: "PI Essen-Süd (Demo)", GuardianName: "Maria Stan-Demo", GuardianPhone: "0201 5550203"},
	{FirstName: "Leyla", LastName: "Sahin-Demo", Gender: "female", ReasonCategory: "violence", PoliceReference: "ES-PP-2026-0104",
		ReferringUnit: "PI Essen-Mitte (Demo)", GuardianName: "Deniz Sahin-Demo", GuardianPhone: "0201 5550204",
		Notes: "Demo: Bedrohung unter Gleichaltrigen."},
	// A second referral of a child in the program (as seedChild dates
	// Yusuf Haddad-Demo), and a sibling of a child in the program whose
	// mother the police wrote without the ş.
	{FirstName: "Yusuf", LastName: "Haddad-Demo", Gender: "male", ReasonCategory: "property", PoliceReference: "ES-PP-2026-0105",
		ReferringUnit: "PI Essen-Mitte (Demo)", OfficerName: "PK Demo-Beamtin", GuardianName: "Samira Haddad-Demo", GuardianPhone: "0201 5550101",
		Notes: "Demo: erneut aufgefallen."},
	{FirstName: "Elif", LastName: "Kaya-Demo", Gender: "female", ReasonCategory: "other", PoliceReference: "ES-PP-2026-0106",
		ReferringUnit: "PI Essen-Süd (Demo)", GuardianName: "Ayse Kaya-Demo", GuardianPhone: "0201 5550103"},
}

// demoReferralAges are the ages of the demo referrals' children whose
// dates of birth follow seedChild's (a child already in the demo), by
// index into demoReferrals.
var demoReferralAges = map[int]int{4: 11}

// SeedDemoReferrals submits the demo referrals as the acting police
// liaison, once; it returns their ids (none when there were referrals).
func (s *Store) SeedDemoReferrals(siteCode string, today time.Time) ([]string, error) {
	existing, err := s.ReferralFeedback()
	if err != nil || len(existing) > 0 {
		return nil, err
	}
	var ids []string
	for i, in := range demoReferrals {
		dob := time.Date(today.Year()-11-i%3, time.Month(3+i), 10+i, 0, 0, 0, 0, time.UTC)
		if age, ok := demoReferralAges[i]; ok {
			dob = demoBirthDate(in.FirstName, in.LastName, age, today)
		}
		in.DateOfBirth, in.SiteCode = &dob, siteCode
		r, err := s.CreateReferral(in, today)
		if err != nil {
			return nil, fmt.Errorf("models: demo referral: %w", err)
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// SeedDemoIntake decides on the demo referrals as the site's coordinator:
// the first two become cases whose families consented to police feedback
// (one in the program, one ended), the third is declined; the others wait:
// a plain one, a second referral of a demo child (Yusuf Haddad-Demo) and a
// sibling of one (Elif, of the Kaya-Demo family), for intake's matches.
func (s *Store) SeedDemoIntake(ids []string, socialWorkerID string, today time.Time) error {
	if len(ids) < 4 {
		return nil
	}
	for i, id := range ids[:2] {
		p, _, err := s.AcceptReferral(id, AcceptInput{}, today)
		if err != nil {
			return err
		}
		from := today.AddDate(0, -2, 0)
		if _, err := s.Assign(p.ID, AssignmentInput{UserID: socialWorkerID, Kind: AssignSocialWorker, FromOn: &from}, today); err != nil {
			return err
		}
		// The guardian came with the referral; the social worker has
		// confirmed she is the mother, with custody.
		gs, err := s.GuardiansOf(p.ID)
		if err != nil || len(gs) != 1 {
			return fmt.Errorf("models: demo referral %d: guardian carried over: %d, %w", i, len(gs), err)
		}
		g := gs[0]
		if err := s.ConfirmCustody(p.ID, g.ID, CustodyInput{Relationship: "mother", HasCustody: true}); err != nil {
			return err
		}
		given := today.AddDate(0, -1, 0)
		if _, err := s.RecordConsent(p.ID, ConsentInput{GuardianID: g.ID, GivenOn: &given, FormVersion: "2026-1", FormLanguage: "de",
			Purposes: []Purpose{PurposeParticipation, PurposeDataProcessing, PurposePoliceFeedback, PurposeEvaluation}}, today); err != nil {
			return err
		}
		steps := []Status{StatusContacted, StatusConsentPending, StatusActive}
		if i == 1 {
			steps = append(steps, StatusCompleted)
		}
		for _, to := range steps {
			cur, err := s.ParticipantByID(p.ID)
			if err != nil {
				return err
			}
			if to == StatusCompleted {
				if err := s.seedClosing(cur, today); err != nil {
					return err
				}
				continue
			}
			if _, err := s.ChangeStatus(p.ID, cur.Version, to, "", today); err != nil {
				return err
			}
		}
	}
	return s.DeclineReferral(ids[2], "outside_area")
}

// demoMeasures is a realistic measure catalogue (SPEC §1): data, not code.
var demoMeasures = []struct {
	in      MeasureInput
	modules []MeasureInput
}{
	{MeasureInput{Code: "social_skills", GroupFormat: true, Labels: Labels{"Soziales Kompetenztraining", "Social skills training", "Sosyal beceri eğitimi", "تدريب المهارات الاجتماعية"}},
		[]MeasureInput{
			{Code: "emotions", Labels: Labels{"Gefühle erkennen", "Recognising feelings", "Duyguları tanıma", "التعرف على المشاعر"}},
			{Code: "conflict", Labels: Labels{"Konflikte lösen", "Resolving conflicts", "Çatışma çözme", "حل النزاعات"}},
			{Code: "peer_pressure", Labels: Labels{"Gruppendruck widerstehen", "Resisting peer pressure", "Akran baskısına direnme", "مقاومة ضغط الأقران"}},
		}},
	{MeasureInput{Code: "anti_violence", GroupFormat: true, Labels: Labels{"Anti-Gewalt-Training", "Anti-violence training", "Şiddet karşıtı eğitim", "تدريب مناهضة العنف"}},
		[]MeasureInput{
			{Code: "triggers", Labels: Labels{"Auslöser und Warnsignale", "Triggers and warning signs", "Tetikleyiciler ve uyarı işaretleri", "المحفزات وعلامات التحذير"}},
			{Code: "victim_view", Labels: Labels{"Perspektive der Betroffenen", "The victim's view", "Mağdurun bakış açısı", "منظور الضحية"}},
		}},
	{MeasureInput{Code: "family_talk", Labels: Labels{"Familiengespräch", "Family conversation", "Aile görüşmesi", "حوار عائلي"}}, nil},
	{MeasureInput{Code: "school_support", Labels: Labels{"Schulbezogene Unterstützung", "School-related support", "Okulla ilgili destek", "الدعم المدرسي"}},
		[]MeasureInput{{Code: "homework", Labels: Labels{"Hausaufgabenhilfe", "Homework help", "Ödev yardımı", "المساعدة في الواجبات"}},
			{Code: "school_talk", Labels: Labels{"Gespräch mit der Schule", "Meeting the school", "Okulla görüşme", "لقاء مع المدرسة"}}}},
	{MeasureInput{Code: "sport", GroupFormat: true, Labels: Labels{"Sport und Freizeit", "Sport and leisure", "Spor ve serbest zaman", "الرياضة والترفيه"}},
		[]MeasureInput{{Code: "boxing", Labels: Labels{"Boxen", "Boxing", "Boks", "الملاكمة"}},
			{Code: "football", Labels: Labels{"Fußball", "Football", "Futbol", "كرة القدم"}}}},
	{MeasureInput{Code: "parenting", GroupFormat: true, Labels: Labels{"Elterntraining", "Parenting training", "Ebeveyn eğitimi", "تدريب الوالدين"}}, nil},
	{MeasureInput{Code: "counselling", Labels: Labels{"Beratung", "Counselling", "Danışmanlık", "الإرشاد"}}, nil},
}

// SeedDemoMeasures fills the actor's site catalogue (coordinator), once.
func (s *Store) SeedDemoMeasures() error {
	existing, err := s.Measures(true)
	if err != nil || len(existing) > 0 {
		return err
	}
	for i, m := range demoMeasures {
		in := m.in
		in.Active, in.Sort = true, i
		if _, err := s.SaveMeasure(in); err != nil {
			return fmt.Errorf("models: demo measure: %w", err)
		}
		for j, mod := range m.modules {
			mod.Active, mod.Sort = true, j
			if err := s.SaveModule(in.Code, mod); err != nil {
				return fmt.Errorf("models: demo module: %w", err)
			}
		}
	}
	return nil
}

// SeedDemoSessions records a few weeks of casework for the site's active
// participants: a weekly group training, goals and a case review; and plans
// one session for later this week. Its days are the program's (Berlin)
// days: between 23:00 and 24:00 UTC the program is already on the next.
func (s *Store) SeedDemoSessions(socialWorkerID string, today time.Time) error {
	active, err := s.Participants(ParticipantFilter{Status: StatusActive})
	if err != nil || len(active) == 0 {
		return err
	}
	ids := make([]string, 0, len(active))
	for _, p := range active {
		ids = append(ids, p.ID)
	}
	attendance := []Attendance{Attended, Attended, Excused, Absent}
	for week := 3; week >= 1; week-- {
		att := map[string]Attendance{}
		for i, id := range ids {
			att[id] = attendance[(i+week)%len(attendance)]
		}
		at := ProgramDay(today).AddDate(0, 0, -7*week).Add(15 * time.Hour)
		if _, err := s.CreateSession(SessionInput{ParticipantIDs: ids, MeasureCode: "social_skills", ModuleCode: []string{"emotions", "conflict", "peer_pressure"}[week-1],
			StartedAt: at, DurationMinutes: 90, Location: "Jugendtreff (Demo)", StaffIDs: []string{socialWorkerID}, Attendance: att,
			Notes: "Demo: Gruppe hat Rollenspiele geübt."}, today); err != nil {
			return fmt.Errorf("models: demo session: %w", err)
		}
	}
	if _, err := s.CreateSession(SessionInput{ParticipantIDs: ids[:1], MeasureCode: "sport", ModuleCode: "boxing",
		StartedAt: ProgramDay(today).AddDate(0, 0, 2).Add(16 * time.Hour), DurationMinutes: 60, StaffIDs: []string{socialWorkerID},
		Planned: true}, today); err != nil {
		return fmt.Errorf("models: demo planned session: %w", err)
	}
	for _, p := range active {
		if _, err := s.CreateGoal(p.ID, "Demo: Konflikte ohne Gewalt lösen", ptrTime(ProgramDay(today).AddDate(0, 4, 0)), today); err != nil {
			return err
		}
		if _, err := s.CreateGoal(p.ID, "Demo: Regelmäßig am Unterricht teilnehmen", nil, today); err != nil {
			return err
		}
	}
	// One review, so that one case is on time and the others are due.
	_, err = s.RecordReview(active[0].ID, ProgramDay(today).AddDate(0, 0, -3), "Demo: Ziele besprochen, Schule einbezogen.", today)
	return err
}

func ptrTime(t time.Time) *time.Time { return &t }
