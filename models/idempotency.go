package models

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// IdempotencyWindow is how long a request's key and first answer are kept
// (SPEC §11: the same key and body within 24 hours replays the answer).
const IdempotencyWindow = 24 * time.Hour

// ErrKeyReused is the same idempotency key with another request body (422).
var ErrKeyReused = errors.New("models: idempotency key reused with another request")

// Answer is a kept first answer to a request.
type Answer struct {
	Status      int
	Location    string
	ContentType string
	Body        []byte
	// Flash is the message ID the answer left for the next page.
	Flash string
}

const idempotencyTable = "auth.idempotency_keys"

type idempotencyRow struct {
	ID          string
	UserID      string
	Key         string
	RequestHash []byte
	Status      *int
	Location    *string
	ContentType *string
	AnswerEnc   *string
	Flash       *string
	CreatedAt   time.Time
}

func (idempotencyRow) TableName() string { return idempotencyTable }

// RequestHash identifies a request by what it asks: method, path and body.
func RequestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", method, path)
	h.Write(body)
	return h.Sum(nil)
}

// ClaimIdempotencyKey claims key for userID in this transaction. It returns
// (nil, id) when the request is the first with this key (or the earlier one
// is older than the window): run it, then keep its answer with
// KeepAnswer(id, ...). It returns the first answer when an earlier request
// with the same body has one, and ErrKeyReused for another body. A second
// request with the key waits here until the first's transaction ends.
func (s *Store) ClaimIdempotencyKey(userID, key string, hash []byte) (*Answer, string, error) {
	id := uuid.NewString()
	var claimed []string
	err := s.db.Raw(`INSERT INTO auth.idempotency_keys (id, user_id, key, request_hash) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, key) DO UPDATE SET id = EXCLUDED.id, request_hash = EXCLUDED.request_hash,
			status = NULL, location = NULL, content_type = NULL, answer_enc = NULL, flash = NULL, created_at = now()
		WHERE idempotency_keys.created_at < now() - make_interval(secs => ?)
		RETURNING id`, id, userID, key, hash, IdempotencyWindow.Seconds()).Scan(&claimed).Error
	if err != nil {
		return nil, "", fmt.Errorf("models: claim idempotency key: %w", err)
	}
	if len(claimed) == 1 {
		return nil, id, nil
	}
	var row idempotencyRow
	if err := s.db.Where("user_id = ? AND key = ?", userID, key).Take(&row).Error; err != nil {
		return nil, "", fmt.Errorf("models: idempotency key: %w", err)
	}
	if string(row.RequestHash) != string(hash) {
		return nil, "", ErrKeyReused
	}
	if row.Status == nil {
		// Claimed by a request of this same transaction: cannot happen
		// across transactions, which wait for each other above.
		return nil, "", fmt.Errorf("models: idempotency key still open: %w", ErrConflict)
	}
	body, err := s.open(idempotencyTable, "answer", row.ID, row.AnswerEnc)
	if err != nil {
		return nil, "", err
	}
	return &Answer{Status: *row.Status, Location: deref(row.Location), ContentType: deref(row.ContentType), Body: []byte(body),
		Flash: deref(row.Flash)}, "", nil
}

// KeepAnswer stores the first answer to the request that claimed id.
func (s *Store) KeepAnswer(id string, a Answer) error {
	enc, err := s.seal(idempotencyTable, "answer", id, string(a.Body))
	if err != nil {
		return err
	}
	err = s.db.Model(&idempotencyRow{}).Where("id = ?", id).Updates(map[string]any{
		"status": a.Status, "location": nilIfEmpty(a.Location), "content_type": nilIfEmpty(a.ContentType), "answer_enc": enc,
		"flash": nilIfEmpty(a.Flash)}).Error
	if err != nil {
		return fmt.Errorf("models: keep answer: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyKeys purges keys older than the window; safe to
// run from several instances at once.
func (s *Store) DeleteExpiredIdempotencyKeys() (int64, error) {
	res := s.db.Exec("DELETE FROM auth.idempotency_keys WHERE created_at < ?", time.Now().Add(-IdempotencyWindow))
	if res.Error != nil {
		return 0, fmt.Errorf("models: expire idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
}
