package models

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// The audit log is a transparency log (migration 00015): requests append
// entries without any lock; the sealer links them into the hash chain and
// signs a Checkpoint with a key the database never holds.

// sealLock is the advisory lock that lets one sealer at a time work, across
// every instance.
const sealLock = 7152026

// sealBatch is the most entries one sealing round links.
const sealBatch = 5000

// Checkpoint is a signed statement that the audit chain had Size entries
// and that the last of them had the hash Head, at SignedAt.
type Checkpoint struct {
	Size      int64     `json:"size"`
	Head      HexBytes  `json:"head"`
	SignedAt  time.Time `json:"signed_at"`
	KeyID     string    `json:"key_id"`
	Signature HexBytes  `json:"signature"`
}

// HexBytes is written as lower-case hex in JSON.
type HexBytes []byte

// MarshalJSON implements json.Marshaler.
func (b HexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(b)) }

// UnmarshalJSON implements json.Unmarshaler.
func (b *HexBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*b = v
	return err
}

// message is what the signature covers.
func (c *Checkpoint) message() []byte {
	return []byte("kurve audit checkpoint v1\n" + strconv.FormatInt(c.Size, 10) + "\n" + hex.EncodeToString(c.Head) + "\n" +
		c.SignedAt.UTC().Format(time.RFC3339Nano) + "\n")
}

// AuditSigner signs checkpoints.
type AuditSigner struct {
	key ed25519.PrivateKey
	id  string
}

// auditKeyInfo separates the checkpoint key from every other use of the
// data key.
const auditKeyInfo = "kurve audit checkpoints v1"

// NewAuditSigner makes a signer from a 32-byte seed (KURVE_AUDIT_KEY).
func NewAuditSigner(seed []byte) (AuditSigner, error) {
	if len(seed) != ed25519.SeedSize {
		return AuditSigner{}, fmt.Errorf("models: audit key: need %d bytes", ed25519.SeedSize)
	}
	key := ed25519.NewKeyFromSeed(seed)
	return AuditSigner{key: key, id: keyID(key.Public().(ed25519.PublicKey))}, nil
}

// AuditSignerFromDataKey derives the checkpoint key from a data key
// (HKDF-SHA256), so that an installation needs no second secret; the
// database holds neither.
func AuditSignerFromDataKey(k DataKey) AuditSigner {
	seed, err := hkdf.Key(sha256.New, k.Key, nil, auditKeyInfo, ed25519.SeedSize)
	if err != nil {
		panic("models: hkdf: " + err.Error())
	}
	s, _ := NewAuditSigner(seed)
	return s
}

// KeyID names the signer's key in its checkpoints.
func (s AuditSigner) KeyID() string { return s.id }

// Public is the key that verifies the signer's checkpoints.
func (s AuditSigner) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// AuditKeys are the public keys verify accepts, by key id: the current
// one and those of earlier data keys.
type AuditKeys map[string]ed25519.PublicKey

// NewAuditKeys collects the signers' public keys.
func NewAuditKeys(signers ...AuditSigner) AuditKeys {
	keys := AuditKeys{}
	for _, s := range signers {
		keys[s.id] = s.Public()
	}
	return keys
}

// Verify checks c's signature.
func (k AuditKeys) Verify(c *Checkpoint) error {
	pub, ok := k[c.KeyID]
	if !ok {
		return fmt.Errorf("signed by an unknown key %s", c.KeyID)
	}
	if !ed25519.Verify(pub, c.message(), c.Signature) {
		return errors.New("signature does not match")
	}
	return nil
}

// SealAudit links the entries appended since the last round into the
// chain and signs a checkpoint of it, as kurve_sealer. It returns nil when
// there was nothing new, or when another instance is sealing right now
// (the advisory lock makes the sealer one at a time across instances).
func SealAudit(ctx context.Context, db *gorm.DB, signer AuditSigner, now time.Time) (*Checkpoint, error) {
	var cp *Checkpoint
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE kurve_sealer").Error; err != nil {
			return err
		}
		var mine bool
		if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", sealLock).Scan(&mine).Error; err != nil || !mine {
			return err
		}
		var chain struct {
			Size int64
			Head []byte
		}
		if err := tx.Raw("SELECT size, head FROM audit.link(?)", sealBatch).Scan(&chain).Error; err != nil {
			return err
		}
		var signed int64
		if err := tx.Raw("SELECT coalesce(max(size), 0) FROM audit.checkpoints").Scan(&signed).Error; err != nil {
			return err
		}
		if chain.Size == 0 || chain.Size == signed {
			return nil
		}
		c := &Checkpoint{Size: chain.Size, Head: chain.Head, SignedAt: now.UTC().Truncate(time.Microsecond), KeyID: signer.id}
		c.Signature = ed25519.Sign(signer.key, c.message())
		if err := tx.Exec("INSERT INTO audit.checkpoints (size, head, signed_at, key_id, signature) VALUES (?, ?, ?, ?, ?)",
			c.Size, []byte(c.Head), c.SignedAt, c.KeyID, []byte(c.Signature)).Error; err != nil {
			return err
		}
		cp = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: seal audit: %w", err)
	}
	return cp, nil
}

// AsSealer runs fn in a transaction as kurve_sealer, which reads the log
// and its checkpoints: how `kurve audit verify` and `checkpoint` read them
// with a login role that reads nothing itself (migration 00021).
func AsSealer(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT set_config('role', 'kurve_sealer', true)").Error; err != nil {
			return err
		}
		return fn(tx)
	})
}

// LatestCheckpoint is the newest checkpoint the database holds, or nil.
func LatestCheckpoint(ctx context.Context, db *gorm.DB) (*Checkpoint, error) {
	var rows []struct {
		Size      int64
		Head      []byte
		SignedAt  time.Time
		KeyID     string
		Signature []byte
	}
	if err := db.WithContext(ctx).Raw(`SELECT size, head, signed_at, key_id, signature FROM audit.checkpoints
		ORDER BY size DESC LIMIT 1`).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: audit checkpoint: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	return &Checkpoint{Size: r.Size, Head: r.Head, SignedAt: r.SignedAt.UTC(), KeyID: r.KeyID, Signature: r.Signature}, nil
}

// AuditReport is what verify found.
type AuditReport struct {
	Sealed         int64         // entries in the chain, all intact
	Unsealed       int64         // entries awaiting the sealer
	OldestUnsealed time.Time     // when the oldest of them was appended
	Checkpoints    []*Checkpoint // the checkpoints proven (the database's latest, then the external ones)
}

// VerifyAudit recomputes the chain in order and proves it against the
// database's latest signed checkpoint and against external ones (kept
// outside the database: `kurve audit checkpoint`, or the structured log).
// It returns the first break: an entry changed, removed or reordered, a
// checkpoint whose signature fails, a chain shorter than a checkpoint
// (entries at its end removed), or a chain whose entry at a checkpoint's
// size has another hash (rewritten and re-hashed). It runs as the owner,
// for `kurve audit verify`.
func VerifyAudit(ctx context.Context, db *gorm.DB, keys AuditKeys, external ...*Checkpoint) (*AuditReport, *AuditBreak, error) {
	rep := &AuditReport{}
	latest, err := LatestCheckpoint(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	var checks []*Checkpoint
	if latest != nil {
		checks = append(checks, latest)
	}
	checks = append(checks, external...)
	heads := map[int64][]byte{}
	for _, c := range checks {
		if err := keys.Verify(c); err != nil {
			return rep, &AuditBreak{Seq: c.Size, Reason: fmt.Sprintf("checkpoint of size %d: %v", c.Size, err)}, nil
		}
		heads[c.Size] = c.Head
	}
	n, brk, err := walkChain(ctx, db, func(seq int64, hash []byte) *AuditBreak {
		if want, ok := heads[seq]; ok && !bytes.Equal(hash, want) {
			return &AuditBreak{Seq: seq, Reason: fmt.Sprintf("entry %d is not the one the checkpoint of size %d signed: the chain up to it was rewritten and re-hashed", seq, seq)}
		}
		return nil
	})
	rep.Sealed = n
	if err != nil || brk != nil {
		return rep, brk, err
	}
	for _, c := range checks {
		if c.Size > n {
			return rep, &AuditBreak{Seq: n + 1, Reason: fmt.Sprintf("entries %d to %d, signed by the checkpoint of %s, are missing: the end of the log was removed",
				n+1, c.Size, c.SignedAt.Format(time.RFC3339))}, nil
		}
	}
	if n > 0 && latest == nil {
		return rep, &AuditBreak{Seq: n, Reason: "no signed checkpoint covers the chain: the checkpoints were removed"}, nil
	}
	rep.Checkpoints = checks
	var pending struct {
		N      int64
		Oldest *time.Time
	}
	if err := db.WithContext(ctx).Raw("SELECT count(*) AS n, min(at) AS oldest FROM audit.events WHERE seq IS NULL").Scan(&pending).Error; err != nil {
		return rep, nil, fmt.Errorf("models: audit verify: %w", err)
	}
	rep.Unsealed = pending.N
	if pending.Oldest != nil {
		rep.OldestUnsealed = *pending.Oldest
	}
	return rep, nil, nil
}

// walkChain recomputes the chain in order of seq, calling check with every
// intact entry, and returns the number of intact entries and the first
// break. A removed entry shows as a gap in seq or as a previous hash that
// does not match; a changed entry as a hash mismatch.
func walkChain(ctx context.Context, db *gorm.DB, check func(seq int64, hash []byte) *AuditBreak) (checked int64, brk *AuditBreak, err error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT e.seq, e.id, e.prev_hash, e.hash,
		audit.event_digest(e, e.prev_hash) AS want
		FROM audit.events e WHERE e.seq IS NOT NULL ORDER BY e.seq`).Rows()
	if err != nil {
		return 0, nil, fmt.Errorf("models: audit verify: %w", err)
	}
	defer rows.Close()
	var prevHash []byte
	var expect int64 = 1
	for rows.Next() {
		var seq, id int64
		var prev, hash, want []byte
		if err := rows.Scan(&seq, &id, &prev, &hash, &want); err != nil {
			return checked, nil, fmt.Errorf("models: audit verify: %w", err)
		}
		switch {
		case seq != expect:
			return checked, &AuditBreak{Seq: expect, ID: id, Reason: fmt.Sprintf("entry %d missing (next is %d)", expect, seq)}, nil
		case !bytes.Equal(prev, prevHash):
			return checked, &AuditBreak{Seq: seq, ID: id, Reason: "previous hash does not match: an earlier entry was changed or removed"}, nil
		case !bytes.Equal(hash, want):
			return checked, &AuditBreak{Seq: seq, ID: id, Reason: "content does not match its hash: entry was changed"}, nil
		}
		if b := check(seq, hash); b != nil {
			b.ID = id
			return checked, b, nil
		}
		prevHash, expect = hash, expect+1
		checked++
	}
	if err := rows.Err(); err != nil {
		return checked, nil, fmt.Errorf("models: audit verify: %w", err)
	}
	return checked, nil, nil
}
