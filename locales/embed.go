// Package locales holds the message catalogues of the interface (de, en, tr,
// ar) in go-i18n's TOML format. German is the source language.
package locales

import "embed"

// FS contains one <lang>.toml file per interface language.
//
//go:embed *.toml
var FS embed.FS
