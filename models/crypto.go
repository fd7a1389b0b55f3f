package models

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/tink-crypto/tink-go/v2/aead/subtle"
)

// Cipher encrypts values before they reach the database (SPEC §3) with
// AES-256-GCM from Tink. Every value carries the id of its key, so that
// older keys can still be read while data is re-encrypted under the new
// one. The associated data binds a value to its place (table, column, row):
// a ciphertext copied to another row does not decrypt.
type Cipher struct {
	current DataKey
	keys    map[string]*subtle.AESGCM
	// index holds the blind index's key derived from each data key
	// (search.go), by key id.
	index map[string][]byte
}

// errDecrypt never says why: it must not help an attacker probing values.
var errDecrypt = errors.New("models: value cannot be decrypted")

// NewCipher builds a cipher that encrypts with current and decrypts with
// current and any of old.
func NewCipher(current DataKey, old ...DataKey) (*Cipher, error) {
	c := &Cipher{current: current, keys: map[string]*subtle.AESGCM{}, index: map[string][]byte{}}
	for _, k := range append([]DataKey{current}, old...) {
		a, err := subtle.NewAESGCM(k.Key)
		if err != nil {
			return nil, fmt.Errorf("models: data key %s: %w", k.ID, err)
		}
		c.keys[k.ID] = a
		c.index[k.ID] = indexKey(k)
	}
	return c, nil
}

// KeyID is the id of the key new values are encrypted with.
func (c *Cipher) KeyID() string { return c.current.ID }

// Encrypt returns "v1:<key id>:<base64url(iv|ciphertext|tag)>".
func (c *Cipher) Encrypt(plaintext, aad string) (string, error) {
	ct, err := c.keys[c.current.ID].Encrypt([]byte(plaintext), []byte(aad))
	if err != nil {
		return "", fmt.Errorf("models: encrypt: %w", err)
	}
	return "v1:" + c.current.ID + ":" + base64.RawURLEncoding.EncodeToString(ct), nil
}

// Decrypt reverses Encrypt with whichever known key the value names.
func (c *Cipher) Decrypt(value, aad string) (string, error) {
	parts := strings.SplitN(value, ":", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return "", errDecrypt
	}
	a, ok := c.keys[parts[1]]
	if !ok {
		return "", fmt.Errorf("models: value encrypted with unknown key %s: %w", parts[1], errDecrypt)
	}
	ct, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", errDecrypt
	}
	pt, err := a.Decrypt(ct, []byte(aad))
	if err != nil {
		return "", errDecrypt
	}
	return string(pt), nil
}

// EphemeralDataKey returns a random key for development runs without
// KURVE_DATA_KEY: whatever it encrypts is unreadable after a restart.
func EphemeralDataKey() DataKey {
	k, err := ParseDataKey(GenerateDataKey())
	if err != nil {
		panic(err)
	}
	return k
}
