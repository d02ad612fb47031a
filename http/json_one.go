package http

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/lambdahq/lambda"
)

// decodeConfig decodes a deploy upload's config part, one JSON object
// with known fields only, into v; what is the part's name in errors.
// Anything after the object is refused, as readJSON refuses it in a
// control-API body: of two objects sent together, the first deployed
// alone and the second, maybe the one meant, was ignored with a 200.
func decodeConfig(config []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return lambda.Errorf(lambda.EINVALID, "%s is not valid JSON: %v", what, err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return lambda.Errorf(lambda.EINVALID, "%s holds more than its JSON object, which ends at byte %d: send one object", what, end)
	}
	return nil
}
