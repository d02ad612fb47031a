package async

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// TestEncodeRecord: a record over the limit is cut to fit it, whatever
// the payloads hold (escapes grow a JSON string, a rune is never split),
// the larger payload first; one under the limit is left whole.
func TestEncodeRecord(t *testing.T) {
	const limit = 4096
	big := func(s string, n int) json.RawMessage {
		b, _ := json.Marshal(strings.Repeat(s, n))
		return b
	}
	tests := []struct {
		name              string
		request, response json.RawMessage
		cutReq, cutResp   bool
		keepResp, keepReq bool // the payload arrives unchanged
	}{
		{"fits", json.RawMessage(`{"a":1}`), json.RawMessage(`{"b":2}`), false, false, true, true},
		{"big request", big("x", limit), json.RawMessage(`{"b":2}`), true, false, true, false},
		{"big response", json.RawMessage(`{"a":1}`), big("y", limit), false, true, false, true},
		{"quotes escape", json.RawMessage(`{"q":` + string(big(`"`, limit)) + `}`), nil, true, false, true, false},
		{"multibyte", big("é", limit), nil, true, false, true, false},
		{"control characters", big("\x01", limit), nil, true, false, true, false},
		{"both big", big("x", limit), big("y", limit), true, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &lambda.DestinationRecord{Version: "1.0", RequestPayload: tt.request, ResponsePayload: tt.response,
				RequestContext: lambda.DestinationRequest{RequestID: "id", Condition: "Success"}}
			b, truncated, err := encodeRecord(r, limit)
			if err != nil {
				t.Fatalf("encodeRecord: %v", err)
			}
			if len(b) > limit {
				t.Errorf("record is %d bytes, over the %d limit", len(b), limit)
			}
			var got lambda.DestinationRecord
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("record is not JSON: %v", err)
			}
			if truncated != (tt.cutReq || tt.cutResp) || got.RequestPayloadTruncated != tt.cutReq || got.ResponsePayloadTruncated != tt.cutResp {
				t.Errorf("truncated %v, request %v, response %v; want request %v, response %v", truncated, got.RequestPayloadTruncated, got.ResponsePayloadTruncated, tt.cutReq, tt.cutResp)
			}
			if tt.keepReq != (string(got.RequestPayload) == string(tt.request)) || tt.keepResp != (string(got.ResponsePayload) == string(tt.response)) {
				t.Errorf("payloads kept: request %v, response %v; want %v, %v", string(got.RequestPayload) == string(tt.request), string(got.ResponsePayload) == string(tt.response), tt.keepReq, tt.keepResp)
			}
			for _, p := range []struct {
				cut bool
				raw json.RawMessage
			}{{got.RequestPayloadTruncated, got.RequestPayload}, {got.ResponsePayloadTruncated, got.ResponsePayload}} {
				var s string
				if !p.cut {
					continue
				}
				if err := json.Unmarshal(p.raw, &s); err != nil || !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
					t.Errorf("cut payload %.40s: %v; want a JSON string of whole runes", p.raw, err)
				}
				if len(tt.request)+len(tt.response) > 2*limit && len(p.raw) < limit/8 {
					t.Errorf("cut payload kept %d bytes of a %d-byte limit: cut far more than needed", len(p.raw), limit)
				}
			}
		})
	}
}
