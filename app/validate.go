package app

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Errors name fields as the client sent them (json, else form tag).
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "form"} {
			name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
			if name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	return v
}

// validationTags are the validator tags with their own message
// ("validation.<tag>"); any other tag uses validation.invalid.
var validationTags = map[string]bool{
	"required": true, "email": true, "min": true, "max": true, "oneof": true, "len": true, "uuid": true, "datetime": true,
}

// validateStruct runs validator v10 and converts its errors into a
// models.ValidationError whose messages are message IDs, localised when the
// error is rendered.
func validateStruct(v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	out := &models.ValidationError{}
	for _, fe := range verrs {
		id := "validation.invalid"
		if validationTags[fe.Tag()] {
			id = "validation." + fe.Tag()
		}
		out.Add(fe.Field(), id, map[string]any{"Param": fe.Param()})
	}
	return out
}

// decodeJSON reads a JSON body into v (unknown fields refused) and
// validates it: 400 for malformed JSON, 422 for invalid values.
func decodeJSON(c *fiber.Ctx, v any) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return fiber.ErrUnsupportedMediaType
	}
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadJSON
	}
	if dec.More() {
		return errBadJSON
	}
	return validateStruct(v)
}

// decodeForm reads a JSON body like decodeJSON but keeps validation errors
// in a date parser, so that a handler reports them together with its own
// date and cross-field checks. The error is only for 400 and 415.
func decodeForm(c *fiber.Ctx, v any) (*dateParser, error) {
	dp := newDateParser()
	err := decodeJSON(c, v)
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		dp.v = ve
	case err != nil:
		return nil, err
	}
	return dp, nil
}

// joinValidation combines the errors of several parts of one request into
// one: the first error that is not a validation error as it is, else the
// fields of all validation errors together, so that the client learns of
// every invalid parameter at once; nil when there are none.
func joinValidation(errs ...error) error {
	all := &models.ValidationError{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		all.Fields = append(all.Fields, ve.Fields...)
	}
	return all.OrNil()
}
