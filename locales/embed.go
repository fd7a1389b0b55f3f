// Package locales holds the message catalogues of the interface (de, en, tr,
// ar) and, under documents/, of the printed family documents (de, en, tr,
// ar, ku, ru, ro, bg), in go-i18n's TOML format. German is the source
// language of both.
package locales

import "embed"

// FS contains one <lang>.toml file per interface language and one
// documents/<lang>.toml per document language.
//
//go:embed *.toml documents/*.toml
var FS embed.FS
