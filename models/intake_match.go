package models

import (
	"fmt"
	"slices"
	"sort"
)

// Why intake suggests an existing case or family for a referral.
const (
	MatchBirthDateAndName = "birth_date_and_name" // same date of birth and a name word in common
	MatchSound            = "name_sound"          // every word of the child's name, exactly or by sound
	MatchGuardianName     = "guardian_name"       // a guardian with every word of the referral's guardian name
	MatchPhone            = "phone"               // the referral's guardian phone is a guardian's or the family's
)

// matchMax bounds each list of suggestions.
const matchMax = 10

// CaseMatch is an existing case that may be the referred child.
type CaseMatch struct {
	Participant
	Reasons []string
}

// FamilyMatch is an existing family the referred child may belong to: its
// guardians' names and its children, with why it matched.
type FamilyMatch struct {
	ID        string
	Guardians []string
	Children  []Participant
	Reasons   []string
}

// ReferralMatches lists the cases and families of the coordinator's site
// that may be the child of a referral still in the intake queue, or its
// family (issue 16): through the search index alone, within what the
// coordinator may see (row-level security), at most matchMax of each,
// strongest first.
func (s *Store) ReferralMatches(id string) ([]CaseMatch, []FamilyMatch, error) {
	r, err := s.IntakeReferralByID(id)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.needCipher()
	if err != nil {
		return nil, nil, err
	}
	// What each hash stands for: a word of the child's or the guardian's
	// name (exact or by sound), the date of birth, the phone.
	type meaning struct {
		of   string // "child" or "guardian"; "" for date of birth and phone
		word int
		what string // domain
	}
	means := map[string][]meaning{}
	var hashes [][]byte
	add := func(t searchToken, m meaning) {
		for _, h := range c.lookups(t) {
			if _, ok := means[string(h)]; !ok {
				hashes = append(hashes, h)
			}
			means[string(h)] = append(means[string(h)], m)
		}
	}
	words := func(of, name string) int {
		ws := NameWords(name)
		for i, w := range ws {
			add(searchToken{domainName, w}, meaning{of, i, domainName})
			if p := Phonetic(w); p != "" {
				add(searchToken{domainPhonetic, p}, meaning{of, i, domainPhonetic})
			}
		}
		return len(ws)
	}
	childWords := words("child", r.FirstName+" "+r.LastName)
	guardianWords := words("guardian", r.GuardianName)
	add(birthToken(r.DateOfBirth), meaning{what: domainBirth})
	for _, t := range phoneTokens(r.GuardianPhone) {
		add(t, meaning{what: domainPhone})
	}
	var rows []struct {
		ParticipantID, GuardianID, FamilyID *string
		Hash                                []byte
	}
	visible, arg := s.visibleTokens()
	if err := s.db.Raw(`SELECT participant_id, guardian_id, family_id, hash FROM prevention.search_tokens t WHERE hash = ANY (?::bytea[]) AND `+visible,
		hashArray(hashes), arg).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("models: matches: %w", err)
	}
	type hits struct {
		exact, sound map[int]bool
		birth, phone bool
	}
	newHits := func() *hits { return &hits{exact: map[int]bool{}, sound: map[int]bool{}} }
	children, guardians, families := map[string]*hits{}, map[string]*hits{}, map[string]*hits{}
	for _, row := range rows {
		var h *hits
		var of string
		switch {
		case row.ParticipantID != nil:
			h, of = children[*row.ParticipantID], "child"
			if h == nil {
				h = newHits()
				children[*row.ParticipantID] = h
			}
		case row.GuardianID != nil:
			h, of = guardians[*row.GuardianID], "guardian"
			if h == nil {
				h = newHits()
				guardians[*row.GuardianID] = h
			}
		default:
			h = families[*row.FamilyID]
			if h == nil {
				h = newHits()
				families[*row.FamilyID] = h
			}
		}
		for _, m := range means[string(row.Hash)] {
			switch {
			case m.what == domainBirth && of == "child":
				h.birth = true
			case m.what == domainPhone && of != "child":
				h.phone = true
			case m.of == of && m.what == domainName:
				h.exact[m.word] = true
			case m.of == of && m.what == domainPhonetic:
				h.sound[m.word] = true
			}
		}
	}
	every := func(h *hits, n int) bool {
		for i := 0; i < n; i++ {
			if !h.exact[i] && !h.sound[i] {
				return false
			}
		}
		return n > 0
	}
	// Cases: strongest first (both reasons, then date of birth with a
	// name, then sound alone), then case number.
	caseReasons := map[string][]string{}
	var caseIDs []string
	for pid, h := range children {
		var why []string
		if h.birth && len(h.exact) > 0 {
			why = append(why, MatchBirthDateAndName)
		}
		if every(h, childWords) {
			why = append(why, MatchSound)
		}
		if len(why) > 0 {
			caseReasons[pid], caseIDs = why, append(caseIDs, pid)
		}
	}
	var cases []CaseMatch
	if len(caseIDs) > 0 {
		ps, err := s.Participants(ParticipantFilter{IDs: caseIDs, Brief: true})
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			cases = append(cases, CaseMatch{Participant: p, Reasons: caseReasons[p.ID]})
		}
		rank := func(why []string) int { return len(why)*2 + btoi(why[0] == MatchBirthDateAndName) }
		sort.SliceStable(cases, func(i, j int) bool { return rank(cases[i].Reasons) > rank(cases[j].Reasons) })
		if len(cases) > matchMax {
			cases = cases[:matchMax]
		}
	}
	// Families: through a guardian's name or phone, or the family phone.
	famReasons := map[string][]string{}
	note := func(fid, why string) {
		if !slices.Contains(famReasons[fid], why) {
			famReasons[fid] = append(famReasons[fid], why)
		}
	}
	if len(guardians) > 0 {
		ids := make([]string, 0, len(guardians))
		for gid := range guardians {
			ids = append(ids, gid)
		}
		var gs []struct{ ID, FamilyID string }
		if err := s.db.Raw("SELECT id, family_id FROM prevention.guardians WHERE id IN ?", ids).Scan(&gs).Error; err != nil {
			return nil, nil, fmt.Errorf("models: matches: %w", err)
		}
		for _, g := range gs {
			h := guardians[g.ID]
			if every(h, guardianWords) {
				note(g.FamilyID, MatchGuardianName)
			}
			if h.phone {
				note(g.FamilyID, MatchPhone)
			}
		}
	}
	for fid, h := range families {
		if h.phone {
			note(fid, MatchPhone)
		}
	}
	famIDs := make([]string, 0, len(famReasons))
	for fid := range famReasons {
		famIDs = append(famIDs, fid)
	}
	sort.Slice(famIDs, func(i, j int) bool {
		a, b := famReasons[famIDs[i]], famReasons[famIDs[j]]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return famIDs[i] < famIDs[j]
	})
	if len(famIDs) > matchMax {
		famIDs = famIDs[:matchMax]
	}
	fams, err := s.familyBriefs(famIDs)
	if err != nil {
		return nil, nil, err
	}
	for i := range fams {
		fams[i].Reasons = famReasons[fams[i].ID]
		slices.Sort(fams[i].Reasons)
	}
	return cases, fams, nil
}

// familyBriefs are the given families, in that order, with their
// guardians' names and their children (visible ones only), in two
// statements.
func (s *Store) familyBriefs(ids []string) ([]FamilyMatch, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []guardianRow
	if err := s.db.Table("prevention.guardians g").Select(guardianColumns).Where("g.family_id IN ?", ids).
		Order("g.created_at").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: family guardians: %w", err)
	}
	names := map[string][]string{}
	for i := range rows {
		g, err := s.decryptGuardian(&rows[i])
		if err != nil {
			return nil, err
		}
		names[g.FamilyID] = append(names[g.FamilyID], g.FirstName+" "+g.LastName)
	}
	var kids []Participant
	q := s.participantQuery(true).Select(briefParticipantColumns).Where("family_id IN ?", ids).Order("case_number")
	var prow []participantRow
	if err := q.Find(&prow).Error; err != nil {
		return nil, fmt.Errorf("models: family children: %w", err)
	}
	for i := range prow {
		p, err := s.decryptParticipant(&prow[i])
		if err != nil {
			return nil, err
		}
		kids = append(kids, *p)
	}
	out := make([]FamilyMatch, 0, len(ids))
	for _, id := range ids {
		f := FamilyMatch{ID: id, Guardians: names[id]}
		for _, k := range kids {
			if k.FamilyID == id {
				f.Children = append(f.Children, k)
			}
		}
		// A family the coordinator cannot see (row-level security) has
		// neither guardians nor children here: it is left out.
		if len(f.Guardians) > 0 || len(f.Children) > 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
