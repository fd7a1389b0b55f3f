package app

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Every create is idempotent (SPEC §9, §11). API clients send an
// Idempotency-Key header; every web form carries a one-time submission key
// (hidden field _submission, a new one each time a form is rendered). The
// first answer to a signed-in POST with a key is kept for 24 hours; the
// same key and body get that answer again (a double tap on "save" shows
// the record the first tap made) and the same key with another body is
// refused with 422. Answers with an error status keep nothing, so that a
// corrected request can be sent with the same key.

const (
	headerIdempotencyKey = "Idempotency-Key"
	fieldSubmission      = "_submission"
)

// idempotencyKey returns the request's key and the field it came in, or ""
// when the request carries none (or is not a POST).
func idempotencyKey(c *fiber.Ctx, api bool) (key, field string) {
	if c.Method() != fiber.MethodPost {
		return "", ""
	}
	if api {
		return c.Get(headerIdempotencyKey), headerIdempotencyKey
	}
	return c.FormValue(fieldSubmission), fieldSubmission
}

func validIdempotencyKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for _, r := range k {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// claimIdempotency claims the request's key for user. It returns a claim
// id to keep the answer under, or "" with replayed true when it has sent
// the first answer again.
func claimIdempotency(c *fiber.Ctx, st *models.Store, user *models.User, api bool) (claim string, replayed bool, err error) {
	key, field := idempotencyKey(c, api)
	if key == "" || user == nil {
		return "", false, nil
	}
	if !validIdempotencyKey(key) {
		v := &models.ValidationError{}
		v.Add(field, "validation.idempotency_key", nil)
		return "", false, v
	}
	ans, claim, err := st.ClaimIdempotencyKey(user.ID, key, models.RequestHash(c.Method(), c.Path(), c.Body()))
	if errors.Is(err, models.ErrKeyReused) {
		v := &models.ValidationError{}
		v.Add(field, "validation.idempotency_reused", nil)
		return "", false, v
	}
	if err != nil || ans == nil {
		return claim, false, err
	}
	c.Status(ans.Status)
	if ans.ContentType != "" {
		c.Set(fiber.HeaderContentType, ans.ContentType)
	}
	if ans.Location != "" {
		c.Set(fiber.HeaderLocation, ans.Location)
	}
	c.Set("Idempotent-Replayed", "true")
	if ans.Flash != "" {
		// The second tap lands where the first did, with its message.
		if err := setFlash(c, ans.Flash); err != nil {
			return "", false, err
		}
	}
	return "", true, c.Send(ans.Body)
}

// keepAnswer stores the answer of a claimed request that succeeded.
func keepAnswer(c *fiber.Ctx, st *models.Store, claim string) error {
	resp := c.Response()
	flash, _ := c.Locals(localFlashSet).(string)
	return st.KeepAnswer(claim, models.Answer{Status: resp.StatusCode(), Location: string(resp.Header.Peek(fiber.HeaderLocation)),
		ContentType: string(resp.Header.ContentType()), Body: resp.Body(), Flash: flash})
}

// newSubmissionKey is a fresh one-time key for a web form.
func newSubmissionKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
