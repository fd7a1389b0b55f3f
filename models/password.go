package models

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// passwordParams follow the OWASP recommendation for argon2id (19 MiB,
// 2 iterations, 1 lane): about 30 ms on the 2-core reference machine.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// MinPasswordLength is the shortest password accepted for a new account.
const MinPasswordLength = 12

// PasswordLongEnough reports whether password has at least
// MinPasswordLength characters (SPEC §9), counted as characters, not bytes.
func PasswordLongEnough(password string) bool {
	return utf8.RuneCountInString(password) >= MinPasswordLength
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
// (unknown user) it compares against a dummy hash, so that an unknown e-mail
// address costs the same time as a wrong password.
func CheckPassword(password, hash string) bool {
	if hash == "" {
		dummyOnce.Do(func() { dummyHash, _ = HashPassword("kurve-dummy-password") })
		_, _ = argon2id.ComparePasswordAndHash(password, dummyHash)
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
