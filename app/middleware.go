package app

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"kurve/models"
)

// Keys of values a request carries in fiber's Locals.
const (
	localRequestID = "kurve.request_id"
	localNonce     = "kurve.nonce"
	localStore     = "kurve.store"
	localUser      = "kurve.user"
	localSession   = "kurve.session"
	localLang      = "kurve.lang"
	localRoute     = "kurve.route"
	localFlash     = "kurve.flash"
	localNow       = "kurve.now"
	// localFlashSet is the message ID a handler left for the next page.
	localFlashSet = "kurve.flash_set"
	// localExpired is the *models.ExpiredSessionError of a cookie whose
	// session just ran out.
	localExpired = "kurve.expired"
	// localCommitOnError keeps what a failing request wrote (failed logins
	// must be counted and audited).
	localCommitOnError = "kurve.commit_on_error"
)

// requestContext gives every request an id and a CSP nonce, sets the
// security headers, and logs and measures it. Logs carry the route pattern,
// never the path or query, which could hold personal data.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := time.Now()
	rid := uuid.NewString()
	nonce := newNonce()
	c.Locals(localRequestID, rid)
	c.Locals(localNonce, nonce)
	c.Set("X-Request-ID", rid)
	c.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; "+
		"img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	if s.cfg.Production {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	err := c.Next()
	if err != nil {
		if herr := s.handleError(c, err); herr != nil {
			slog.Error("error handler", "err", herr, "request_id", rid)
		}
	}
	route, _ := c.Locals(localRoute).(string)
	if route == "" {
		route = "unmatched"
	}
	status := c.Response().StatusCode()
	s.metrics.observe(c.Method(), route, status, time.Since(start))
	attrs := []any{"method", c.Method(), "route", route, "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", rid}
	if u, ok := c.Locals(localUser).(*models.User); ok && u != nil {
		attrs = append(attrs, "user_id", u.ID, "role", u.Role)
	}
	slog.Info("request", attrs...)
	return nil
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

// errUnauthorized, errForbidden and errCSRF are mapped to 401/403 in
// handleError.
var (
	// errRollback ends a request's transaction without committing after
	// the handler has written an error response itself.
	errRollback     = errors.New("rollback")
	errUnauthorized = errors.New("unauthorized")
	errForbidden    = errors.New("forbidden")
	errCSRF         = errors.New("csrf token mismatch")
)

// guard enforces the route's access rule, then runs the handler inside one
// database transaction under the right role.
func (s *Server) guard(r Route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(localRoute, r.Path)
		at := s.now()
		c.Locals(localNow, at)
		day := models.ProgramDay(at)
		if r.Access == Public {
			return r.Handler(c)
		}
		if !safeMethod(c.Method()) {
			if err := checkText(c); err != nil {
				return err
			}
		}
		if r.Heavy {
			release, err := s.heavy.enter(c.UserContext())
			if err != nil {
				return err
			}
			defer release()
		}
		err := models.InTx(c.UserContext(), s.req, models.DBAuth, models.Actor{}, func(st *models.Store) error {
			st.UseCipher(s.cipher)
			c.Locals(localStore, st)
			user, sess, err := s.identify(c, st, r, day)
			if err != nil {
				return err
			}
			c.Locals(localUser, user)
			c.Locals(localSession, sess)
			if sess != nil && sess.Flash != nil && c.Method() == fiber.MethodGet {
				c.Locals(localFlash, *sess.Flash)
				if err := st.TakeFlash(sess.ID); err != nil {
					return err
				}
			}
			c.Locals(localLang, s.language(c, user, sess))
			if r.Access != Guest {
				if user == nil {
					if r.API {
						return errUnauthorized
					}
					if parked, err := s.parkExpiredPost(c, st); parked || err != nil {
						return err
					}
					// After signing in, the user comes back here; a form's
					// target answers only POST, so that is the home page.
					next := c.OriginalURL()
					if !safeMethod(c.Method()) {
						next = "/"
					}
					return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
				}
				if !r.Allows(user.Role) {
					return errForbidden
				}
				if sess != nil && !sess.SecondFactor && user.SecondFactorRequired() && !r.PreMFA {
					return c.Redirect(secondFactorPage(user)+"?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
				}
			}
			if !r.API && !safeMethod(c.Method()) {
				if err := checkCSRF(c, sess); err != nil {
					return err
				}
				if err := takeParked(c, st, user); err != nil {
					return err
				}
			}
			// An API request's token lookup switched already (identify).
			if r.Access == Side && !r.API {
				actor := models.Actor{UserID: user.ID, SiteID: user.SiteID, Role: user.Role, Today: day}
				if err := st.SwitchRole(user.Role.DBRole(), actor); err != nil {
					return err
				}
			}
			claim, replayed, err := claimIdempotency(c, st, user, r.API)
			if err != nil || replayed {
				return err
			}
			if err := r.Handler(c); err != nil {
				return err
			}
			// A request that answers with an error changes nothing, even
			// when its handler rendered the answer itself (a form shown
			// again with its errors): whatever it wrote before it failed
			// is rolled back. Login failures opt out, to be counted.
			if c.Response().StatusCode() >= 400 {
				if c.Locals(localCommitOnError) != true {
					return errRollback
				}
				return nil
			}
			if claim != "" {
				return keepAnswer(c, st, claim)
			}
			return nil
		})
		if err == nil || errors.Is(err, errRollback) {
			s.outage.up()
		}
		if errors.Is(err, errRollback) {
			return nil
		}
		return err
	}
}

// identify finds the user: from the bearer token on API routes (cookies are
// ignored there, so the API needs no CSRF protection), from the session
// cookie elsewhere. On the API's side routes the token's lookup also
// switches the transaction to the user's database role and actor on day
// (one round trip): nothing runs between identification and the handler
// there but the role check, which refuses before any other statement.
func (s *Server) identify(c *fiber.Ctx, st *models.Store, r Route, day time.Time) (*models.User, *models.Session, error) {
	if r.API {
		auth := c.Get(fiber.HeaderAuthorization)
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, nil, nil
		}
		var u *models.User
		var err error
		if r.Access == Side {
			u, err = st.UserByAPITokenActing(strings.TrimSpace(token), day)
		} else {
			u, err = st.UserByAPIToken(strings.TrimSpace(token))
		}
		if errors.Is(err, models.ErrNotFound) {
			return nil, nil, errUnauthorized
		}
		return u, nil, err
	}
	cookie := c.Cookies(s.sessionCookieName())
	if cookie == "" {
		return nil, nil, nil
	}
	if !safeMethod(c.Method()) {
		if err := st.LockSession(cookie); err != nil {
			return nil, nil, err
		}
	}
	sess, err := st.SessionByCookie(cookie)
	var expired *models.ExpiredSessionError
	if errors.As(err, &expired) {
		c.Locals(localExpired, expired)
	}
	if errors.Is(err, models.ErrNotFound) {
		s.clearSessionCookie(c)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if sess.UserID == nil {
		return nil, sess, nil
	}
	if sess.User == nil {
		// Deactivated user: the session dies with the account.
		_ = st.DeleteSession(sess.ID)
		s.clearSessionCookie(c)
		return nil, nil, nil
	}
	return sess.User, sess, nil
}

// language decides the interface language: the user's setting, else the
// one chosen before login, else Accept-Language.
func (s *Server) language(c *fiber.Ctx, u *models.User, sess *models.Session) string {
	if u != nil && models.ValidLanguage(u.Language) {
		return u.Language
	}
	if sess != nil && sess.Language != nil {
		return *sess.Language
	}
	return s.i18n.Match(c.Get(fiber.HeaderAcceptLanguage))
}

// secondFactorPage is where a partly signed-in user goes next: the code
// prompt, or the set-up page for admin and dpo who have not enrolled yet.
func secondFactorPage(u *models.User) string {
	if u.TOTPEnabled() {
		return "/login/totp"
	}
	return "/profile/totp"
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// checkCSRF compares the form field or X-CSRF-Token header with the token
// stored in the server-side session (synchronizer token pattern).
func checkCSRF(c *fiber.Ctx, sess *models.Session) error {
	if sess == nil {
		return errCSRF
	}
	got := c.FormValue("_csrf")
	if got == "" {
		got = c.Get("X-CSRF-Token")
	}
	if !csrfMatches(got, sess.CSRFToken) {
		return errCSRF
	}
	return nil
}

func (s *Server) sessionCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-kurve_session"
	}
	return "kurve_session"
}

func (s *Server) setSessionCookie(c *fiber.Ctx, value string) {
	c.Cookie(&fiber.Cookie{Name: s.sessionCookieName(), Value: value, Path: "/", HTTPOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode, SessionOnly: true})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", HTTPOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0), MaxAge: -1})
}

// Request accessors for handlers.

func store(c *fiber.Ctx) *models.Store {
	st, _ := c.Locals(localStore).(*models.Store)
	return st
}

func currentUser(c *fiber.Ctx) *models.User {
	u, _ := c.Locals(localUser).(*models.User)
	return u
}

func currentSession(c *fiber.Ctx) *models.Session {
	s, _ := c.Locals(localSession).(*models.Session)
	return s
}

func requestID(c *fiber.Ctx) string {
	s, _ := c.Locals(localRequestID).(string)
	return s
}

func (s *Server) localizer(c *fiber.Ctx) *Localizer {
	if lang, ok := c.Locals(localLang).(string); ok {
		return s.i18n.Localizer(lang)
	}
	return s.i18n.Localizer(s.i18n.Match(c.Get(fiber.HeaderAcceptLanguage)))
}

// safeNext returns next when it is a relative path on this site, else "/".
// It refuses "//host" and "/\host", which browsers treat as other hosts.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/"
	}
	return next
}

// audit appends an audit entry for an action of u (nil: nobody signed in)
// in this request. objectType/objectID may be empty; details must hold ids
// and codes only, never personal data.
func audit(c *fiber.Ctx, u *models.User, action, objectType, objectID string, details map[string]any) error {
	ev := auditEvent(c, u, action, objectType)
	ev.ObjectID, ev.Details = objectID, details
	return store(c).Audit(ev)
}

// auditEvent is an event of the request by u (nil: nobody signed in).
func auditEvent(c *fiber.Ctx, u *models.User, action, objectType string) models.AuditEvent {
	ev := models.AuditEvent{Action: action, ObjectType: objectType, RequestID: requestID(c)}
	if u != nil {
		ev.ActorID, ev.ActorRole, ev.SiteID = &u.ID, string(u.Role), &u.SiteID
	}
	return ev
}

// auditEach records action on each of objectIDs, in one statement.
func auditEach(c *fiber.Ctx, u *models.User, action, objectType string, objectIDs []string) error {
	return store(c).AuditEach(auditEvent(c, u, action, objectType), objectIDs)
}

// commitOnError keeps the request's writes even though it answers with an
// error status (failed login attempts are counted and audited).
func commitOnError(c *fiber.Ctx) { c.Locals(localCommitOnError, true) }
