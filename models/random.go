package models

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"

	"gorm.io/gorm"
)

// randomToken returns n random bytes, base64url-encoded without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("models: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha256Bytes(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

func gormExpr(sql string, args ...any) any { return gorm.Expr(sql, args...) }
