package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/hkdf"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// Blind-index search (issue 16). Names, dates of birth and phone numbers
// are sealed (SPEC §3); beside them prevention.search_tokens keeps keyed
// hashes of their normalised tokens (migration 00027). The hash key is
// derived from the data key, so a dump without the key names nobody; a
// search hashes its words the same way. What the index reveals is
// equality: rows with a common token share a hash (README, "Search").

// blindHashLen is how much of the HMAC-SHA-256 the index keeps: 128 bits
// leave no collision among the tokens of a program.
const blindHashLen = 16

// Token domains: a name token, its phonetic key, a date of birth and a
// phone number hash apart even where their text is the same.
const (
	domainName     = "n"
	domainPhonetic = "p"
	domainBirth    = "d"
	domainPhone    = "t"
)

// indexKey derives the blind index's HMAC key from a data key (HKDF-SHA-256
// with its own label): the index key is never the encryption key, and it
// rotates with it.
func indexKey(k DataKey) []byte {
	out := make([]byte, 32)
	r := hkdf.New(sha256.New, k.Key, nil, []byte("kurve blind index v1"))
	if _, err := r.Read(out); err != nil {
		panic("models: hkdf: " + err.Error())
	}
	return out
}

// blindHash is the index hash of one token under one index key.
func blindHash(key []byte, domain, token string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain + ":" + token))
	return m.Sum(nil)[:blindHashLen]
}

// searchToken is one token to index or look up: its domain and text.
type searchToken struct{ domain, text string }

// nameTokens are the tokens of a name: each folded word (NameWords), and
// its phonetic key where it has one.
func nameTokens(names ...string) []searchToken {
	var out []searchToken
	for _, n := range names {
		for _, w := range NameWords(n) {
			out = append(out, searchToken{domainName, w})
			if p := Phonetic(w); p != "" {
				out = append(out, searchToken{domainPhonetic, p})
			}
		}
	}
	return out
}

// birthToken is the token of a date of birth.
func birthToken(d time.Time) searchToken {
	return searchToken{domainBirth, d.Format(time.DateOnly)}
}

// phoneToken is the token of a phone number (NormalPhone); none for a
// number too short to tell anybody apart.
func phoneTokens(phone string) []searchToken {
	if p := NormalPhone(phone); p != "" {
		return []searchToken{{domainPhone, p}}
	}
	return nil
}

// NameWords folds a name into its search words: split at everything that
// is not a letter or digit (so "Aydin-Demo" is two words), lower-cased,
// diacritics removed (Ş/S, Ç/C, Ğ/G, Ö/O, é/e), the Turkish dotless and
// dotted I both i, ß ss. Duplicates are dropped; the order is kept.
func NameWords(name string) []string {
	var words []string
	seen := map[string]bool{}
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 && !seen[b.String()] {
			seen[b.String()] = true
			words = append(words, b.String())
		}
		b.Reset()
	}
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining mark: the diacritic of the letter before
		case r == 'ı' || r == 'İ':
			b.WriteRune('i')
		case r == 'ß' || r == 'ẞ':
			b.WriteString("ss")
		case r == 'æ' || r == 'Æ':
			b.WriteString("ae")
		case r == 'ø' || r == 'Ø':
			b.WriteRune('o')
		case r == 'đ' || r == 'Đ':
			b.WriteRune('d')
		case r == 'ł' || r == 'Ł':
			b.WriteRune('l')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return words
}

// Phonetic is the Kölner Phonetik (Postel 1969) of a folded word, after
// NameWords: names that sound alike in German get one key, which also
// joins the common transliterations of Arabic and Turkish names
// (Mohammed, Muhammad, Mohamad and Mehmet are all "662"; Yusuf, Youssef
// and Jussuf "083"). Letters outside a–z are skipped; a word without any
// has no key ("").
func Phonetic(word string) string {
	var letters []byte
	for i := 0; i < len(word); i++ {
		if c := word[i]; c >= 'a' && c <= 'z' {
			letters = append(letters, c)
		}
	}
	if len(letters) == 0 {
		return ""
	}
	at := func(i int) byte {
		if i < 0 || i >= len(letters) {
			return 0
		}
		return letters[i]
	}
	in := func(c byte, set string) bool { return c != 0 && strings.IndexByte(set, c) >= 0 }
	var codes []byte
	for i, c := range letters {
		prev, next := at(i-1), at(i+1)
		var code string
		switch {
		case in(c, "aeijouy"):
			code = "0"
		case c == 'h':
			code = ""
		case c == 'b':
			code = "1"
		case c == 'p':
			code = "1"
			if next == 'h' {
				code = "3"
			}
		case c == 'd' || c == 't':
			code = "2"
			if in(next, "csz") {
				code = "8"
			}
		case in(c, "fvw"):
			code = "3"
		case in(c, "gkq"):
			code = "4"
		case c == 'c':
			code = "8"
			if i == 0 && in(next, "ahkloqrux") || i > 0 && in(next, "ahkoqux") && !in(prev, "sz") {
				code = "4"
			}
		case c == 'x':
			code = "48"
			if in(prev, "ckq") {
				code = "8"
			}
		case c == 'l':
			code = "5"
		case c == 'm' || c == 'n':
			code = "6"
		case c == 'r':
			code = "7"
		case c == 's' || c == 'z':
			code = "8"
		}
		codes = append(codes, code...)
	}
	// Collapse repeated codes, then drop every 0 but a leading one.
	key := make([]byte, 0, len(codes))
	for i, c := range codes {
		if i > 0 && codes[i-1] == c || c == '0' && i > 0 {
			continue
		}
		key = append(key, c)
	}
	return string(key)
}

// NormalPhone is a phone number's digits in national form: "+49 201
// 555-0101", "0049 201 5550101" and "0201/5550101" are all "02015550101".
// Fewer than six digits are no number ("").
func NormalPhone(phone string) string {
	var d strings.Builder
	plus := false
	for _, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == '+' && d.Len() == 0:
			plus = true
		}
	}
	s := d.String()
	if plus {
		s = "00" + s
	}
	if rest, ok := strings.CutPrefix(s, "0049"); ok {
		s = "0" + rest
	}
	if len(s) < 6 {
		return ""
	}
	return s
}

// searchOwner is the column of prevention.search_tokens that names the
// owner of a token.
type searchOwner string

const (
	ownerParticipant searchOwner = "participant_id"
	ownerGuardian    searchOwner = "guardian_id"
	ownerFamily      searchOwner = "family_id"
)

// current is the id and index key of the key new tokens are hashed with.
func (c *Cipher) currentIndex() (string, []byte) { return c.current.ID, c.index[c.current.ID] }

// lookups are the hashes of a token under every known key: while data is
// re-keyed (kurve key reencrypt), rows hashed under an older key are
// still found.
func (c *Cipher) lookups(t searchToken) [][]byte {
	out := make([][]byte, 0, len(c.index))
	for _, k := range c.index {
		out = append(out, blindHash(k, t.domain, t.text))
	}
	return out
}

// writeTokens replaces the tokens of one owner by toks, hashed under the
// current key.
func writeTokens(db *gorm.DB, c *Cipher, owner searchOwner, id string, toks []searchToken) error {
	if err := db.Exec("DELETE FROM prevention.search_tokens WHERE "+string(owner)+" = ?", id).Error; err != nil {
		return fmt.Errorf("models: search tokens of %s: %w", id, err)
	}
	if len(toks) == 0 {
		return nil
	}
	keyID, key := c.currentIndex()
	seen := map[string]bool{}
	hashes := make([][]byte, 0, len(toks))
	for _, t := range toks {
		h := blindHash(key, t.domain, t.text)
		if !seen[string(h)] {
			seen[string(h)] = true
			hashes = append(hashes, h)
		}
	}
	if err := db.Exec("INSERT INTO prevention.search_tokens ("+string(owner)+", key_id, hash) SELECT ?, ?, unnest(?::bytea[])",
		id, keyID, hashArray(hashes)).Error; err != nil {
		return fmt.Errorf("models: search tokens of %s: %w", id, err)
	}
	return nil
}

// index replaces an owner's tokens, as the acting user.
func (s *Store) index(owner searchOwner, id string, toks []searchToken) error {
	c, err := s.needCipher()
	if err != nil {
		return err
	}
	return writeTokens(s.db, c, owner, id, toks)
}

// participantTokens are what a child is found by: the words of the names
// and the date of birth.
func participantTokens(first, last string, dob time.Time) []searchToken {
	return append(nameTokens(first, last), birthToken(dob))
}

// guardianTokens are what a guardian is found by: the words of the names
// and the phone number.
func guardianTokens(first, last, phone string) []searchToken {
	return append(nameTokens(first, last), phoneTokens(phone)...)
}

// Search is a parsed search: name words (each must match a word of the
// child's names, exactly or by sound), a case-number prefix and a date of
// birth; what is empty does not narrow.
type Search struct {
	Words      []string
	CasePrefix string
	BirthDate  *time.Time
}

var (
	casePrefixRE = regexp.MustCompile(`^[A-Za-z]{2,3}-[0-9-]*$`)
	germanDateRE = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{4})$`)
)

// ParseSearch reads a search box: words separated by spaces, each a case
// number or its prefix ("ES-2026-00"), a date of birth (2015-06-12 or
// 12.06.2015) or a name word. An empty search is nil; one that is too
// long, or has two dates or two case numbers, is a validation error of
// the field q.
func ParseSearch(q string) (*Search, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	v := &ValidationError{}
	if len([]rune(q)) > 100 {
		v.Add("q", "validation.max", map[string]any{"Param": 100})
		return nil, v
	}
	out := &Search{}
	for _, f := range strings.Fields(q) {
		if d, ok := searchDate(f); ok {
			if out.BirthDate != nil {
				v.Add("q", "validation.search", nil)
				break
			}
			out.BirthDate = &d
			continue
		}
		if casePrefixRE.MatchString(f) {
			if out.CasePrefix != "" {
				v.Add("q", "validation.search", nil)
				break
			}
			out.CasePrefix = strings.ToUpper(f)
			continue
		}
		for _, w := range NameWords(f) {
			if !slices.Contains(out.Words, w) {
				out.Words = append(out.Words, w)
			}
		}
	}
	if len(out.Words) > 6 {
		v.Add("q", "validation.search", nil)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if len(out.Words) == 0 && out.CasePrefix == "" && out.BirthDate == nil {
		return nil, nil
	}
	return out, nil
}

// searchDate reads a date of birth in ISO or German form.
func searchDate(f string) (time.Time, bool) {
	if d, err := time.Parse(time.DateOnly, f); err == nil {
		return d, true
	}
	if m := germanDateRE.FindStringSubmatch(f); m != nil {
		if d, err := time.Parse("2.1.2006", m[1]+"."+m[2]+"."+m[3]); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

// where narrows a participants query (table participants, unaliased) to
// the search: per name word, a token of the child's equal to the word or
// to its sound; the case-number prefix; the date of birth's token.
// Mediators may not search by date of birth: they may not read it.
func (q *Search) where(s *Store, db *gorm.DB) (*gorm.DB, error) {
	c, err := s.needCipher()
	if err != nil {
		return nil, err
	}
	if q.BirthDate != nil && s.limited() {
		v := &ValidationError{}
		v.Add("q", "validation.search_birth_date", nil)
		return nil, v
	}
	// Each condition is an array of the matching children's ids, read
	// once from the hash index (ARRAY(...), an InitPlan), which the
	// primary key then takes; the token policy's own index condition is
	// repeated so that it narrows before any row is checked.
	visible, arg := s.visibleTokens()
	has := func(toks ...searchToken) *gorm.DB {
		var hashes [][]byte
		for _, t := range toks {
			hashes = append(hashes, c.lookups(t)...)
		}
		return db.Where(`participants.id = ANY (ARRAY(SELECT t.participant_id FROM prevention.search_tokens t
			WHERE t.hash = ANY (?::bytea[]) AND t.participant_id IS NOT NULL AND `+visible+`))`, hashArray(hashes), arg)
	}
	for _, w := range q.Words {
		toks := []searchToken{{domainName, w}}
		if p := Phonetic(w); p != "" {
			toks = append(toks, searchToken{domainPhonetic, p})
		}
		db = has(toks...)
	}
	if q.BirthDate != nil {
		db = has(birthToken(*q.BirthDate))
	}
	if q.CasePrefix != "" {
		db = db.Where("participants.case_number LIKE ?", likePrefix(q.CasePrefix))
	}
	return db, nil
}

// likePrefix is a LIKE pattern for values starting with p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// indexSource is how IndexMissing reads one kind of owner: the sealed
// columns its tokens come from, and how they become tokens.
type indexSource struct {
	owner   searchOwner
	table   string
	columns []string // sealed columns, in the order tokens takes them
	// where keeps the rows that have something to index.
	where  string
	tokens func(vals []string) []searchToken
}

var indexSources = []indexSource{
	{ownerParticipant, participantsTable, []string{"first_name_enc", "last_name_enc", "date_of_birth_enc"},
		"first_name_enc <> '' OR last_name_enc <> ''", func(v []string) []searchToken {
			toks := nameTokens(v[0], v[1])
			if d, err := time.Parse(time.DateOnly, v[2]); err == nil {
				toks = append(toks, birthToken(d))
			}
			return toks
		}},
	{ownerGuardian, guardiansTable, []string{"first_name_enc", "last_name_enc", "phone_enc"},
		"first_name_enc <> '' OR last_name_enc <> ''", func(v []string) []searchToken { return guardianTokens(v[0], v[1], v[2]) }},
	{ownerFamily, familiesTable, []string{"phone_enc"},
		"phone_enc IS NOT NULL", func(v []string) []searchToken { return phoneTokens(v[0]) }},
}

// IndexMissing writes the search tokens of every participant, guardian
// and family that has none, or has some under a key other than the
// cipher's current one: after migration 00027 on existing data, after a
// bulk load (the synthetic data set) and after `kurve key reencrypt`. It
// runs as the connecting (owner) role in batches of one transaction each,
// can be interrupted and run again, and returns how many owners it
// indexed.
func IndexMissing(ctx context.Context, db *gorm.DB, c *Cipher, batch int) (int, error) {
	keyID, _ := c.currentIndex()
	total := 0
	for _, src := range indexSources {
		after := "00000000-0000-0000-0000-000000000000"
		for {
			n := 0
			err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				q := fmt.Sprintf(`SELECT o.id::text, %s FROM %s o
					WHERE o.id > ? AND (%s) AND (NOT EXISTS (SELECT 1 FROM prevention.search_tokens t WHERE t.%s = o.id)
					  OR EXISTS (SELECT 1 FROM prevention.search_tokens t WHERE t.%s = o.id AND t.key_id <> ?))
					ORDER BY o.id LIMIT ?`, "o."+strings.Join(src.columns, ", o."), src.table, src.where, src.owner, src.owner)
				rows, err := tx.Raw(q, after, keyID, batch).Rows()
				if err != nil {
					return err
				}
				defer rows.Close()
				var ids []string
				var owners []string
				var hashes [][]byte
				_, key := c.currentIndex()
				for rows.Next() {
					var id string
					vals := make([]*string, len(src.columns))
					dest := []any{&id}
					for i := range vals {
						dest = append(dest, &vals[i])
					}
					if err := rows.Scan(dest...); err != nil {
						return err
					}
					plain := make([]string, len(vals))
					for i, v := range vals {
						if v == nil || *v == "" {
							continue
						}
						aad := src.table + "." + strings.TrimSuffix(src.columns[i], "_enc") + ":" + id
						if plain[i], err = c.Decrypt(*v, aad); err != nil {
							return fmt.Errorf("%s %s: %w", src.table, id, err)
						}
					}
					ids = append(ids, id)
					seen := map[string]bool{}
					for _, t := range src.tokens(plain) {
						h := blindHash(key, t.domain, t.text)
						if !seen[string(h)] {
							seen[string(h)] = true
							owners, hashes = append(owners, id), append(hashes, h)
						}
					}
				}
				if err := rows.Err(); err != nil {
					return err
				}
				n = len(ids)
				if n == 0 {
					return nil
				}
				after = ids[n-1]
				if err := tx.Exec("DELETE FROM prevention.search_tokens WHERE "+string(src.owner)+" = ANY (?::uuid[])", idArray(ids)).Error; err != nil {
					return err
				}
				if len(hashes) == 0 {
					return nil
				}
				return tx.Exec("INSERT INTO prevention.search_tokens ("+string(src.owner)+", key_id, hash) SELECT unnest(?::uuid[]), ?, unnest(?::bytea[])",
					idArray(owners), keyID, hashArray(hashes)).Error
			})
			if err != nil {
				return total, fmt.Errorf("models: search index: %w", err)
			}
			total += n
			if n < batch {
				break
			}
		}
	}
	return total, nil
}

// hashArray is a bytea[] parameter: GORM would expand a slice into a list.
type hashArray [][]byte

// Value implements driver.Valuer with the array's text form.
func (a hashArray) Value() (driver.Value, error) {
	parts := make([]string, len(a))
	for i, b := range a {
		parts[i] = `"\\x` + hex.EncodeToString(b) + `"`
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// visibleTokens is the token policy's index condition for the actor's
// role on search_tokens t, with its argument (migration 00027): the
// coordinator's site, or the social worker's or mediator's own cases. It
// narrows nothing the policy would not.
func (s *Store) visibleTokens() (string, any) {
	switch s.actor.Role {
	case RoleCoordinator:
		return "t.site_id = ?", s.actor.SiteID
	case RoleSocialWorker, RoleMediator:
		return "t.participant_id = ANY ((SELECT prevention.my_cases(?))::uuid[])", string(s.actor.Role)
	}
	return "? IS NULL", nil
}
