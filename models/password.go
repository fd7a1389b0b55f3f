package models

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/trustelem/zxcvbn"
)

// passwordParams follow the OWASP recommendation for argon2id (19 MiB,
// 2 iterations, 1 lane): about 30 ms on the 2-core reference machine.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// MinPasswordLength is the shortest password accepted for a new account.
const MinPasswordLength = 12

// MaxPasswordLength bounds what is hashed and estimated.
const MaxPasswordLength = 200

// MinPasswordScore is the least zxcvbn score (0–4) a new password needs
// (SPEC §9): 3 is "safely unguessable: moderate protection from offline
// slow-hash scenarios".
const MinPasswordScore = 3

// PasswordLongEnough reports whether password has at least
// MinPasswordLength characters (SPEC §9), counted as characters, not bytes.
func PasswordLongEnough(password string) bool {
	return utf8.RuneCountInString(password) >= MinPasswordLength
}

// CheckNewPassword adds to v, at field, the first reason why password may
// not become the password of the user with that e-mail address and name
// (SPEC §9): too short or too long, the published demo password, the
// user's e-mail address or name in it, or guessable (zxcvbn score below
// MinPasswordScore, with the user's own words counted as known).
func CheckNewPassword(v *ValidationError, field, password, email, name string) {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		v.Add(field, "validation.password_length", map[string]any{"Min": MinPasswordLength})
		return
	case n > MaxPasswordLength:
		v.Add(field, "validation.max", map[string]any{"Param": MaxPasswordLength})
		return
	}
	lower := strings.ToLower(password)
	if strings.Contains(lower, DemoPassword) {
		v.Add(field, "validation.password_demo", nil)
		return
	}
	words := personalWords(email, name)
	for _, w := range words {
		if strings.Contains(lower, w) {
			v.Add(field, "validation.password_personal", nil)
			return
		}
	}
	if zxcvbn.PasswordStrength(password, append(words, "kurve", "kriegen")).Score < MinPasswordScore {
		v.Add(field, "validation.password_weak", nil)
	}
}

// personalWords are the lower-case e-mail address, its local part (from
// three characters) and the words of both it and the name that have at
// least four.
func personalWords(email, name string) []string {
	email = NormalizeEmail(email)
	words := []string{}
	if email != "" {
		words = append(words, email)
	}
	local, _, _ := strings.Cut(email, "@")
	split := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, w := range append(strings.FieldsFunc(local, split), strings.FieldsFunc(strings.ToLower(name), split)...) {
		if utf8.RuneCountInString(w) >= 4 {
			words = append(words, w)
		}
	}
	if utf8.RuneCountInString(local) >= 3 {
		words = append(words, local)
	}
	return words
}

// HashPassword returns the argon2id PHC string for password.
func HashPassword(password string) (string, error) {
	h, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("models: hash password: %w", err)
	}
	return h, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// CheckPassword reports whether password matches hash. With an empty hash
// (unknown user, or one who has not set a password yet) it compares
// against a dummy hash, so that such an address costs the same time as a
// wrong password.
func CheckPassword(password, hash string) bool {
	if hash == "" {
		dummyOnce.Do(func() { dummyHash, _ = HashPassword("kurve-dummy-password") })
		_, _ = argon2id.ComparePasswordAndHash(password, dummyHash)
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
