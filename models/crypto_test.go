package models_test

import (
	"strings"
	"testing"

	"kurve/models"
)

func TestCipherRoundTripRotationAndBinding(t *testing.T) {
	oldKey, newKey := models.EphemeralDataKey(), models.EphemeralDataKey()
	before, err := models.NewCipher(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := before.Encrypt("Testwert 123", "org.users.totp_secret:u1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "Testwert") || !strings.HasPrefix(v, "v1:"+oldKey.ID+":") {
		t.Fatalf("ciphertext %q", v)
	}
	v2, _ := before.Encrypt("Testwert 123", "org.users.totp_secret:u1")
	if v == v2 {
		t.Fatal("encryption is deterministic")
	}
	after, err := models.NewCipher(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Decrypt(v, "org.users.totp_secret:u1"); err != nil || got != "Testwert 123" {
		t.Fatalf("old value after rotation: %q %v", got, err)
	}
	if fresh, _ := after.Encrypt("x", "a"); !strings.HasPrefix(fresh, "v1:"+newKey.ID+":") {
		t.Fatalf("new values not under the new key: %q", fresh)
	}
	if _, err := after.Decrypt(v, "org.users.totp_secret:u2"); err == nil {
		t.Fatal("value decrypted in another row")
	}
	// Change one character well inside the ciphertext (every bit of it
	// counts there; the last characters may carry padding bits, and a
	// fixed replacement may equal what was there).
	i := len(v) - 5
	repl := byte('A')
	if v[i] == repl {
		repl = 'B'
	}
	tampered := v[:i] + string(repl) + v[i+1:]
	if _, err := after.Decrypt(tampered, "org.users.totp_secret:u1"); err == nil {
		t.Fatal("tampered value decrypted")
	}
	onlyNew, _ := models.NewCipher(newKey)
	if _, err := onlyNew.Decrypt(v, "org.users.totp_secret:u1"); err == nil {
		t.Fatal("value decrypted without its key")
	}
}
