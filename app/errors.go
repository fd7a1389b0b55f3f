package app

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one invalid field of a 422 problem.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// errThrottled answers 429 when login attempts are throttled.
var errThrottled = errors.New("too many attempts")

// setRetryAfter tells the client when to try again (429, 503), in whole
// seconds, at least one.
func setRetryAfter(c *fiber.Ctx, wait time.Duration) {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}

// errBadJSON answers 400 for a body that is not the JSON expected.
var errBadJSON = errors.New("malformed json")

// statusOf maps an error to its HTTP status and the message ID of its
// detail. This is the one place where domain errors become HTTP.
func statusOf(err error) (int, string) {
	var fe *fiber.Error
	var ve *models.ValidationError
	switch {
	case errors.Is(err, models.ErrConsentMissing):
		return fiber.StatusUnprocessableEntity, "error.consent_missing"
	case errors.As(err, &ve):
		return fiber.StatusUnprocessableEntity, "error.validation"
	case errors.Is(err, models.ErrNotFound):
		return fiber.StatusNotFound, "error.not_found"
	case errors.Is(err, models.ErrReferralDecided):
		return fiber.StatusConflict, "error.referral_decided"
	case errors.Is(err, models.ErrCaseOpen):
		return fiber.StatusConflict, "error.case_open"
	case errors.Is(err, models.ErrPrivacyDetailsMissing):
		return fiber.StatusConflict, "error.privacy_details_missing"
	case models.IsSiteInactive(err):
		return fiber.StatusUnprocessableEntity, "error.site_inactive"
	case errors.As(err, new(*models.OpenAssignmentsError)):
		return fiber.StatusConflict, "error.open_assignments"
	case errors.Is(err, models.ErrConflict):
		return fiber.StatusConflict, "error.conflict"
	case errors.Is(err, errUnauthorized):
		return fiber.StatusUnauthorized, "error.unauthorized"
	case errors.Is(err, errForbidden), errors.Is(err, models.ErrForbidden):
		return fiber.StatusForbidden, "error.forbidden"
	case errors.Is(err, errCSRF):
		return fiber.StatusForbidden, "error.csrf"
	case errors.Is(err, errBadJSON):
		return fiber.StatusBadRequest, "error.bad_json"
	case errors.Is(err, errThrottled):
		return fiber.StatusTooManyRequests, "error.throttled"
	case models.IsUnavailable(err):
		return fiber.StatusServiceUnavailable, "error.unavailable"
	case errors.Is(err, errBusy):
		return fiber.StatusServiceUnavailable, "error.busy"
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusNotFound:
			return fe.Code, "error.not_found"
		case fiber.StatusMethodNotAllowed:
			return fe.Code, "error.method_not_allowed"
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, "error.too_large"
		case fiber.StatusBadRequest:
			return fe.Code, "error.bad_request"
		case fiber.StatusUnsupportedMediaType:
			return fe.Code, "error.unsupported_media_type"
		case fiber.StatusRequestTimeout:
			return fe.Code, "error.timeout"
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return fiber.StatusBadRequest, "error.bad_request"
		}
	}
	return fiber.StatusInternalServerError, "error.internal"
}

// handleError turns any error into a localised problem+json (API) or error
// page (web). Internal errors are logged with the request id; their text
// never reaches the response.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, msgID := statusOf(err)
	switch status {
	case fiber.StatusInternalServerError:
		slog.Error("internal error", "err", err, "request_id", requestID(c))
	case fiber.StatusServiceUnavailable:
		if !errors.Is(err, errBusy) {
			s.outage.down(err)
		}
		setRetryAfter(c, outageRetry)
	}
	l := s.errorLocalizer(c)
	p := Problem{
		Type:      "about:blank",
		Title:     l.T("problem.title." + statusKey(status)),
		Status:    status,
		Detail:    l.T(msgID),
		Instance:  c.Path(),
		RequestID: requestID(c),
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			p.Errors = append(p.Errors, ProblemField{Field: f.Field, Message: l.TData(f.MessageID, fieldData(l, f))})
		}
	}
	var vc visitConflict
	if errors.As(err, &vc) {
		p.Detail = visitConflictText(l, vc.Slot)
	}
	var oa *models.OpenAssignmentsError
	if errors.As(err, &oa) {
		p.Detail = l.TData("error.open_assignments", map[string]any{"Count": oa.Count})
	}
	var ce *models.ConsentError
	if errors.As(err, &ce) {
		for _, m := range ce.Missing {
			p.Errors = append(p.Errors, ProblemField{Field: "consent", Message: missingText(l, m)})
		}
	}
	if status == fiber.StatusUnauthorized && isAPI(c) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="kurve"`)
	}
	if isAPI(c) {
		c.Status(status)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(p, "application/problem+json")
	}
	return s.render(c.Status(status), "error.html", "problem.title."+statusKey(status), p)
}

func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }

// errorLocalizer is the language of an error answer: the request's, as the
// route decided it (the user's setting, the choice before login, else
// Accept-Language). A request that never reached a route (an unknown path,
// a method the path does not take) or failed before its session was read
// gets its session's language from the cookie here, else Accept-Language,
// else German.
func (s *Server) errorLocalizer(c *fiber.Ctx) *Localizer {
	if _, decided := c.Locals(localLang).(string); !decided {
		if lang := s.cookieLanguage(c); lang != "" {
			c.Locals(localLang, lang)
		}
	}
	return s.localizer(c)
}

// cookieLanguageWait bounds the session lookup of an error page: the
// answer is an error already and must not wait long for a language.
const cookieLanguageWait = time.Second

// cookieLanguage reads the language of the session the cookie names, or ""
// (no cookie, an API request, the database away or slow).
func (s *Server) cookieLanguage(c *fiber.Ctx) string {
	cookie := c.Cookies(s.sessionCookieName())
	if cookie == "" || isAPI(c) || s.outage.active() {
		return ""
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), cookieLanguageWait)
	defer cancel()
	var lang string
	err := models.InTx(ctx, s.req, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		var err error
		lang, err = st.SessionLanguage(cookie)
		return err
	})
	if err != nil {
		slog.Warn("error page: session language unknown", "err", err, "request_id", requestID(c))
		return ""
	}
	return lang
}

// statusKey is the message key part for a status; unknown ones fall back to
// the generic 400/500 titles.
func statusKey(status int) string {
	switch status {
	case 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503:
		return strconv.Itoa(status)
	case 408:
		return "400"
	}
	return "500"
}

// fieldData adds the localised field name to a field error's data and
// writes its instants (time.Time) as the language writes them.
func fieldData(l *Localizer, f models.FieldError) map[string]any {
	data := map[string]any{"Field": l.fieldName(f.Field)}
	for k, v := range f.Data {
		if t, ok := v.(time.Time); ok {
			v = l.DateTime(t)
		}
		// A name kept in every interface language (an assessment item's
		// label) is given in the reader's.
		if n, ok := v.(interface{ Name(lang string) string }); ok {
			v = n.Name(l.Lang)
		}
		data[k] = v
	}
	return data
}

// missingText describes one missing consent.
func missingText(l *Localizer, m models.Missing) string {
	switch {
	case m.NoCustodian:
		return l.T("consent.no_custodian")
	case m.Assent:
		return l.T("consent.missing_assent", "Purpose", l.T("purpose."+string(m.Purpose)))
	}
	return l.T("consent.missing_guardian", "Purpose", l.T("purpose."+string(m.Purpose)))
}
