package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestNameWords: folding joins the spellings a name is written in.
func TestNameWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Ayşe Kaya-Demo":              {"ayse", "kaya", "demo"},
		"AYSE  KAYA":                  {"ayse", "kaya"},
		"Çağrı Yıldız":                {"cagri", "yildiz"},
		"İsmail Işık":                 {"ismail", "isik"},
		"Özdemir Müller-Lüdenscheidt": {"ozdemir", "muller", "ludenscheidt"},
		"Straße":                      {"strasse"},
		"Ğülşen O'Neill":              {"gulsen", "o", "neill"},
		"Karim Haddad Haddad":         {"karim", "haddad"},
		"  ":                          nil,
		"Łukasz Øberg":                {"lukasz", "oberg"},
		"محمد":                        {"محمد"},
	} {
		if got := models.NameWords(in); !slices.Equal(got, want) {
			t.Errorf("NameWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPhonetic: the Kölner Phonetik of the demo names and of the
// transliterations families' names come in; the reference values are
// those of Postel's rules (Wikipedia: "Müller-Lüdenscheidt" 65752682,
// "Wikipedia" 3412).
func TestPhonetic(t *testing.T) {
	for in, want := range map[string]string{
		"wikipedia": "3412", "muller": "657", "ludenscheidt": "52682",
		"mohammed": "662", "muhammad": "662", "mohamad": "662", "mohamed": "662", "mehmet": "662",
		"yusuf": "083", "youssef": "083", "jussuf": "083",
		"ahmed": "062", "ahmad": "062",
		"haddad": "022", "hadad": "022",
		"ozdemir": "08267", "oezdemir": "08267",
		"aydin": "026", "aydın": "026",
		"khalil": "455", "chalil": "455",
		"kaya": "4", "caya": "4",
		"demir": "267", "sahin": "86", "schahin": "86", "yilmaz": "0568", "popescu": "118",
		"christoph": "47823", "xaver": "4837",
		"": "", "محمد": "",
	} {
		if got := models.Phonetic(in); got != want {
			t.Errorf("Phonetic(%q) = %q, want %q", in, got, want)
		}
	}
	// The demo families' names and the spellings a police form or a
	// school letter gives them sound alike once folded.
	for _, same := range [][]string{
		{"Haddad", "Hadad", "Hattat"}, {"Şahin", "Sahin", "Schahin"}, {"Yılmaz", "Yilmaz", "Jilmas"}, {"Saleh", "Salih", "Salah"},
		{"Nasser", "Naser", "Nassar"}, {"Ivanova", "Iwanowa"}, {"Khalil", "Chalil", "Kalil"}, {"Aydın", "Aydin", "Aidin"},
		{"Samira", "Sameera"}, {"Karim", "Kareem", "Carim"}, {"Ayşe", "Ayse", "Aische"}, {"Rojhat", "Rohat"},
	} {
		key := func(name string) string { return models.Phonetic(models.NameWords(name)[0]) }
		for _, other := range same[1:] {
			if a, b := key(same[0]), key(other); a != b || a == "" {
				t.Errorf("%s (%s) and %s (%s) do not sound alike", same[0], a, other, b)
			}
		}
	}
}

func TestNormalPhone(t *testing.T) {
	for in, want := range map[string]string{
		"0201 5550101": "02015550101", "+49 201 5550101": "02015550101", "0049 (201) 555-01-01": "02015550101",
		"0201/5550101": "02015550101", "+90 212 555 0101": "00902125550101", "12345": "", "": "",
	} {
		if got := models.NormalPhone(in); got != want {
			t.Errorf("NormalPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseSearch reads words, case numbers and dates; too much is a
// validation error of q.
func TestParseSearch(t *testing.T) {
	q, err := models.ParseSearch("  Yusuf es-2026-00 12.06.2015 Haddad-Demo ")
	if err != nil || q == nil || !slices.Equal(q.Words, []string{"yusuf", "haddad", "demo"}) || q.CasePrefix != "ES-2026-00" ||
		q.BirthDate == nil || !q.BirthDate.Equal(time.Date(2015, 6, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseSearch: %+v, %v", q, err)
	}
	if q, err := models.ParseSearch("   "); q != nil || err != nil {
		t.Errorf("empty search: %+v, %v", q, err)
	}
	for _, bad := range []string{"2015-01-01 2016-01-01", "ES-1 DU-2", "a b c d e f g", strings.Repeat("x", 101)} {
		if _, err := models.ParseSearch(bad); err == nil {
			t.Errorf("ParseSearch(%q) accepted", bad)
		}
	}
}

// search runs a participant search as user and returns the case numbers.
func (w *world) search(user, q string) []string {
	w.t.Helper()
	var out []string
	w.must(user, func(st *models.Store) error {
		s, err := models.ParseSearch(q)
		if err != nil {
			return err
		}
		ps, err := st.Participants(models.ParticipantFilter{Search: s, Brief: true})
		for _, p := range ps {
			out = append(out, p.CaseNumber)
		}
		return err
	})
	return out
}

// TestSearch finds a child by name words in any order and spelling, by
// case number prefix and by date of birth, only within what the user may
// see; an edit re-indexes, an erasure leaves no token behind, and a key
// rotation rebuilds the index under the new key.
func TestSearch(t *testing.T) {
	w := newWorld(t)
	var p, other *models.Participant
	w.must("coord", func(st *models.Store) (err error) {
		in := models.ParticipantInput{FirstName: ptr("Mohammed"), LastName: ptr("Özdemir"), DateOfBirth: ptr(time.Date(2014, 3, 9, 0, 0, 0, 0, time.UTC)),
			Gender: ptr("male")}
		if p, err = st.CreateParticipant(in, "", models.FamilyInput{Phone: ptr("0201 4711 0")}, today); err != nil {
			return err
		}
		in.FirstName, in.LastName = ptr("Lina"), ptr("Kaya")
		other, err = st.CreateParticipant(in, "", models.FamilyInput{}, today)
		return err
	})
	w.assign(p, "sw", models.AssignSocialWorker, today, nil)
	w.must("sw", func(st *models.Store) error {
		_, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "Hatice", LastName: "Özdemir", Phone: "0171 1234567",
			Relationship: "mother", HasCustody: true})
		return err
	})
	one := []string{p.CaseNumber}
	for q, want := range map[string][]string{
		"Mohammed Özdemir": one, "ozdemir muhammad": one, "OEZDEMIR": one, "Mehmet": one,
		"mohammed kaya": nil, "Lina": {other.CaseNumber}, "2014-03-09": {p.CaseNumber, other.CaseNumber},
		"09.03.2014 Kaya": {other.CaseNumber}, p.CaseNumber[:8]: {p.CaseNumber, other.CaseNumber}, p.CaseNumber: one,
		"Özdem": nil, "2014-03-10": nil,
	} {
		if got := w.search("coord", q); !slices.Equal(got, want) {
			t.Errorf("coordinator searches %q: %v, want %v", q, got, want)
		}
	}
	// A token's site is its child's, whatever its writer says: a
	// coordinator of Duisburg would otherwise see it.
	var du string
	w.db.Gorm.Raw("SELECT id FROM org.sites WHERE code = 'DU'").Scan(&du)
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO prevention.search_tokens (site_id, participant_id, key_id, hash)
		VALUES (?, ?, 'k0000000000000000', '\x000102030405060708090a0b0c0d0e0f')`, du, p.ID)
	var site string
	w.db.Gorm.Raw(`SELECT site_id FROM prevention.search_tokens WHERE hash = '\x000102030405060708090a0b0c0d0e0f'`).Scan(&site)
	if site != p.SiteID {
		t.Errorf("a token of an Essen child kept the site it was given: %s", site)
	}
	// Only within what each may see.
	if got := w.search("sw", "Özdemir"); !slices.Equal(got, one) {
		t.Errorf("social worker finds own case: %v", got)
	}
	for _, user := range []string{"sw", "sw2", "coordDU", "swDU"} {
		if got := w.search(user, "Lina Kaya"); got != nil {
			t.Errorf("%s finds a case they cannot see: %v", user, got)
		}
	}
	// Mediators find names, never by date of birth.
	w.assign(p, "med", models.AssignMediator, today, nil)
	if got := w.search("med", "Mohamad"); !slices.Equal(got, one) {
		t.Errorf("mediator: %v", got)
	}
	if err := w.as("med", func(st *models.Store) error {
		s, _ := models.ParseSearch("2014-03-09")
		_, err := st.Participants(models.ParticipantFilter{Search: s})
		return err
	}); err == nil {
		t.Error("a mediator searched by date of birth")
	}
	// An edit re-indexes: the old name is gone, the new one found.
	w.must("coord", func(st *models.Store) error {
		_, err := st.UpdateParticipant(p.ID, p.Version, models.ParticipantInput{LastName: ptr("Yılmaz")}, today)
		return err
	})
	if got := w.search("coord", "Özdemir"); got != nil {
		t.Errorf("old name still found: %v", got)
	}
	if got := w.search("coord", "mohammed yilmaz"); !slices.Equal(got, one) {
		t.Errorf("new name not found: %v", got)
	}
	if got := w.search("coord", "Lina Kaya"); !slices.Equal(got, []string{other.CaseNumber}) {
		t.Errorf("another child's tokens went with the edit: %v", got)
	}
	// Rotation: re-encryption drops the tokens of what it rewrote, the
	// rebuild indexes under the new key, the new cipher finds them.
	newKey := models.EphemeralDataKey()
	rot, err := models.NewCipher(newKey, w.key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.Reencrypt(context.Background(), w.db.Gorm, rot, 50); err != nil {
		t.Fatal(err)
	}
	// Both children, the guardian and the one family with a phone.
	if n, err := models.IndexMissing(context.Background(), w.db.Gorm, rot, 2); err != nil || n != 4 {
		t.Fatalf("index rebuilt for %d records: %v", n, err)
	}
	var stale int64
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.search_tokens WHERE key_id <> ?", newKey.ID).Scan(&stale)
	if stale != 0 {
		t.Errorf("%d tokens under the old key", stale)
	}
	if n, _ := models.IndexMissing(context.Background(), w.db.Gorm, rot, 2); n != 0 {
		t.Errorf("second rebuild indexed %d records", n)
	}
	w.cipher, _ = models.NewCipher(newKey)
	if got := w.search("coord", "Muhammad Yilmaz"); !slices.Equal(got, one) {
		t.Errorf("after rotation: %v", got)
	}
	// Erasure leaves no token of the child, its family or guardians.
	w.must("coord", func(st *models.Store) error {
		cur, err := st.ParticipantByID(p.ID)
		if err != nil {
			return err
		}
		_, err = st.ChangeStatus(p.ID, cur.Version, models.StatusDeclined, "family_refused", today)
		return err
	})
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, p.ID); err != nil {
		t.Fatal(err)
	}
	var left int64
	w.db.Gorm.Raw(`SELECT count(*) FROM prevention.search_tokens WHERE participant_id = ? OR family_id = ?
		OR guardian_id IN (SELECT id FROM prevention.guardians WHERE family_id = ?)`, p.ID, p.FamilyID, p.FamilyID).Scan(&left)
	if left != 0 {
		t.Errorf("%d tokens left after erasure", left)
	}
}

// TestReferralMatches: a second referral of a child in the program finds
// its case (same date of birth and name, and by sound), a sibling's
// referral finds the family (the guardian's name as the police spelled it,
// and the phone); accepting attaches the first to the case (no second
// case, the guardian not doubled) and opens the second in the family with
// the family's guardian linked, unconfirmed. Another site's coordinator
// is offered nothing.
func TestReferralMatches(t *testing.T) {
	w := newWorld(t)
	w.police()
	dob := time.Date(2014, 6, 12, 0, 0, 0, 0, time.UTC)
	var child *models.Participant
	var mother *models.Guardian
	w.must("coord", func(st *models.Store) (err error) {
		child, err = st.CreateParticipant(models.ParticipantInput{FirstName: ptr("Yusuf"), LastName: ptr("Haddad"), DateOfBirth: ptr(dob),
			Gender: ptr("male")}, "", models.FamilyInput{Phone: ptr("0201 5550101")}, today)
		if err != nil {
			return err
		}
		mother, err = st.AddGuardian(child.ID, models.GuardianInput{FirstName: "Şükran", LastName: "Haddad", Phone: "0171 2223334",
			Relationship: "mother", HasCustody: true})
		return err
	})
	site := "ES"
	refer := func(first, last string, dob time.Time, guardian, phone string) string {
		var id string
		w.must("police", func(st *models.Store) error {
			r, err := st.CreateReferral(models.ReferralInput{FirstName: first, LastName: last, DateOfBirth: &dob, Gender: "male", SiteCode: site,
				ReasonCategory: "property", PoliceReference: "PP-" + first, GuardianName: guardian, GuardianPhone: phone}, today)
			if r != nil {
				id = r.ID
			}
			return err
		})
		return id
	}
	again := refer("Youssef", "Haddad", dob, "Sukran Haddad", "")
	sibling := refer("Amira", "Haddad", time.Date(2016, 1, 3, 0, 0, 0, 0, time.UTC), "Sükran Haddad", "+49 171 2223334")
	stranger := refer("Paul", "Becker", dob, "Eva Becker", "0201 9999999")

	matches := func(user, id string) ([]models.CaseMatch, []models.FamilyMatch) {
		var cs []models.CaseMatch
		var fs []models.FamilyMatch
		w.must(user, func(st *models.Store) (err error) {
			cs, fs, err = st.ReferralMatches(id)
			return err
		})
		return cs, fs
	}
	cs, fs := matches("coord", again)
	if len(cs) != 1 || cs[0].ID != child.ID || !slices.Equal(cs[0].Reasons, []string{models.MatchBirthDateAndName, models.MatchSound}) {
		t.Errorf("re-referral: cases %+v", cs)
	}
	if len(fs) != 1 || fs[0].ID != child.FamilyID || !slices.Equal(fs[0].Reasons, []string{models.MatchGuardianName}) ||
		!slices.Equal(fs[0].Guardians, []string{"Şükran Haddad"}) || len(fs[0].Children) != 1 {
		t.Errorf("re-referral: families %+v", fs)
	}
	cs, fs = matches("coord", sibling)
	if len(cs) != 0 || len(fs) != 1 || fs[0].ID != child.FamilyID ||
		!slices.Equal(fs[0].Reasons, []string{models.MatchGuardianName, models.MatchPhone}) {
		t.Errorf("sibling: cases %+v, families %+v", cs, fs)
	}
	// The same date of birth alone is no match.
	if cs, fs := matches("coord", stranger); len(cs) != 0 || len(fs) != 0 {
		t.Errorf("stranger: cases %+v, families %+v", cs, fs)
	}

	// Accept the second referral as a re-referral: the case stays one.
	var got *models.Participant
	var kind string
	w.must("coord", func(st *models.Store) (err error) {
		got, kind, err = st.AcceptReferral(again, models.AcceptInput{ParticipantID: child.ID}, today)
		return err
	})
	var cases int64
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.participants").Scan(&cases)
	if got.ID != child.ID || kind != models.IntakeReReferral || cases != 1 {
		t.Errorf("re-referral: %s %s, %d cases", got.ID, kind, cases)
	}
	w.must("coord", func(st *models.Store) error {
		rs, err := st.CaseReferrals(child.ID)
		if len(rs) != 1 || rs[0].Kind != models.IntakeReReferral {
			t.Errorf("case referrals %+v", rs)
		}
		gs, err2 := st.GuardiansOf(child.ID)
		if len(gs) != 1 {
			t.Errorf("guardian doubled: %+v", gs)
		}
		return errors.Join(err, err2)
	})
	// Accept the sibling into the family: the mother is linked, not
	// copied, and waits for staff to confirm custody.
	w.must("coord", func(st *models.Store) (err error) {
		got, kind, err = st.AcceptReferral(sibling, models.AcceptInput{FamilyID: child.FamilyID}, today)
		return err
	})
	if got.FamilyID != child.FamilyID || kind != models.IntakeSibling {
		t.Errorf("sibling: family %s, %s", got.FamilyID, kind)
	}
	w.must("coord", func(st *models.Store) error {
		gs, err := st.GuardiansOf(got.ID)
		if err != nil || len(gs) != 1 || gs[0].ID != mother.ID || gs[0].CustodyConfirmed || !gs[0].HasCustody {
			t.Errorf("sibling's guardian: %+v %v", gs, err)
		}
		if err := st.ConfirmCustody(got.ID, mother.ID, models.CustodyInput{Relationship: "mother", HasCustody: true}); err != nil {
			return err
		}
		gs, err = st.GuardiansOf(got.ID)
		if err != nil || !gs[0].CustodyConfirmed || gs[0].Relationship != "mother" {
			t.Errorf("after confirmation: %+v", gs)
		}
		return err
	})
	// Both at once, or a case of another site: refused, nothing written.
	third := refer("Omar", "Haddad", time.Date(2015, 2, 3, 0, 0, 0, 0, time.UTC), "", "")
	for _, in := range []models.AcceptInput{{ParticipantID: child.ID, FamilyID: child.FamilyID}, {ParticipantID: "not-an-id"}} {
		err := w.as("coord", func(st *models.Store) error { _, _, err := st.AcceptReferral(third, in, today); return err })
		if _, ok := err.(*models.ValidationError); !ok {
			t.Errorf("accept %+v: %v", in, err)
		}
	}
	// The same child referred at Duisburg: its coordinator is offered
	// nothing of Essen and cannot attach it there.
	site = "DU"
	du := refer("Yusuf", "Haddad", dob, "Şükran Haddad", "0201 5550101")
	if cs, fs := matches("coordDU", du); len(cs) != 0 || len(fs) != 0 {
		t.Errorf("Duisburg is offered Essen's cases: %+v %+v", cs, fs)
	}
	err := w.as("coordDU", func(st *models.Store) error {
		_, _, err := st.AcceptReferral(du, models.AcceptInput{ParticipantID: child.ID}, today)
		return err
	})
	if _, ok := err.(*models.ValidationError); !ok {
		t.Errorf("Duisburg attaches to an Essen case: %v", err)
	}
}
