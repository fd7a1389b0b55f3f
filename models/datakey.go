package models

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// DataKey is an application data-encryption key with the id stored beside
// every value it encrypts, so that keys can rotate (SPEC §3, §11).
type DataKey struct {
	ID  string
	Key []byte
}

// GenerateDataKey returns a new random 256-bit key in the format
// "k<16 hex>:<base64url key>" that KURVE_DATA_KEY expects.
func GenerateDataKey() string {
	id := make([]byte, 8)
	key := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		panic("models: crypto/rand failed: " + err.Error())
	}
	if _, err := rand.Read(key); err != nil {
		panic("models: crypto/rand failed: " + err.Error())
	}
	return "k" + hex.EncodeToString(id) + ":" + base64.RawURLEncoding.EncodeToString(key)
}

// developmentKeyPrefix marks the key ids of development keys (`kurve key
// generate --development`, which `make run` uses), so that `kurve check`
// and a production start refuse them. A random id starts so by chance
// once in 2^28 keys.
const developmentKeyPrefix = "k00000de"

// GenerateDevelopmentKey is GenerateDataKey with a key id that marks the
// key as one for development only.
func GenerateDevelopmentKey() string {
	return developmentKeyPrefix + GenerateDataKey()[len(developmentKeyPrefix):]
}

// Development reports whether the key was made for development.
func (k DataKey) Development() bool { return strings.HasPrefix(k.ID, developmentKeyPrefix) }

// ParseDataKey parses the output of GenerateDataKey. The error never
// contains the key material.
func ParseDataKey(s string) (DataKey, error) {
	id, enc, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(id) != 17 || id[0] != 'k' {
		return DataKey{}, fmt.Errorf("models: data key: expected k<16 hex>:<base64url>, as printed by `kurve key generate`")
	}
	if _, err := hex.DecodeString(id[1:]); err != nil {
		return DataKey{}, fmt.Errorf("models: data key: bad key id")
	}
	key, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(key) != 32 {
		return DataKey{}, fmt.Errorf("models: data key %s: need 32 bytes, base64url without padding", id)
	}
	return DataKey{ID: id, Key: key}, nil
}
