package models

import (
	"fmt"
	"strings"
)

// seal encrypts value for one column of one row; empty values stay NULL.
// The associated data names table, column and row, so a ciphertext moved
// elsewhere does not decrypt.
func (s *Store) seal(table, column, id, value string) (*string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	c, err := s.needCipher()
	if err != nil {
		return nil, err
	}
	enc, err := c.Encrypt(value, table+"."+column+":"+id)
	if err != nil {
		return nil, err
	}
	return &enc, nil
}

// sealed is seal for NOT NULL columns.
func (s *Store) sealed(table, column, id, value string) (string, error) {
	p, err := s.seal(table, column, id, value)
	if err != nil || p == nil {
		return "", err
	}
	return *p, nil
}

// open decrypts a column value sealed for the same table, column and row.
func (s *Store) open(table, column, id string, value *string) (string, error) {
	if value == nil || *value == "" {
		return "", nil
	}
	c, err := s.needCipher()
	if err != nil {
		return "", err
	}
	pt, err := c.Decrypt(*value, table+"."+column+":"+id)
	if err != nil {
		return "", fmt.Errorf("models: %s.%s of %s: %w", table, column, id, err)
	}
	return pt, nil
}

// opener decrypts several columns of one row and keeps the first error.
type opener struct {
	s     *Store
	table string
	id    string
	err   error
}

func (o *opener) str(column string, v *string) string {
	if o.err != nil {
		return ""
	}
	out, err := o.s.open(o.table, column, o.id, v)
	o.err = err
	return out
}

// sealer encrypts several columns of one row and keeps the first error.
type sealer struct {
	s     *Store
	table string
	id    string
	err   error
}

func (w *sealer) opt(column, value string) *string {
	if w.err != nil {
		return nil
	}
	out, err := w.s.seal(w.table, column, w.id, value)
	w.err = err
	return out
}

func (w *sealer) req(column, value string) string {
	if p := w.opt(column, value); p != nil {
		return *p
	}
	return ""
}
