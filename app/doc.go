// Package app is Kurve's HTTP layer: the route table and its authorisation
// rules, middleware (security headers, sessions, CSRF, per-request database
// role), handlers, rendering and the glue to go-i18n. It never holds a
// *gorm.DB in a handler: handlers get a models.Store bound to their request's
// transaction, which already runs under the database role of the user's side.
package app
