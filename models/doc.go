// Package models owns Kurve's data: GORM models, domain rules and the storage
// functions that read and write PostgreSQL. It is the only package that holds
// a *gorm.DB. It knows nothing about HTTP, sessions or rendering; handlers
// reach the database only through a Store bound to their request's
// transaction.
package models
