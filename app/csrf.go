package app

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
)

// maskCSRF returns the session's CSRF token masked with a fresh one-time
// pad, base64url(pad ‖ token XOR pad): every page carries another string,
// so that a compressed response's length tells an attacker who can
// reflect text into the page nothing about the token (BREACH).
func maskCSRF(token string) string {
	t := []byte(token)
	out := make([]byte, 2*len(t))
	pad := out[:len(t)]
	if _, err := rand.Read(pad); err != nil {
		panic("app: crypto/rand failed: " + err.Error())
	}
	for i := range t {
		out[len(t)+i] = t[i] ^ pad[i]
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// csrfMatches reports whether got is the session's token, masked
// (maskCSRF) or as it is (the X-CSRF-Token of scripts and API clients of
// the web session), compared in constant time.
func csrfMatches(got, token string) bool {
	if got == "" || token == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
		return true
	}
	b, err := base64.RawURLEncoding.DecodeString(got)
	if err != nil || len(b) != 2*len(token) {
		return false
	}
	plain := make([]byte, len(token))
	for i := range plain {
		plain[i] = b[i] ^ b[len(token)+i]
	}
	return subtle.ConstantTimeCompare(plain, []byte(token)) == 1
}
