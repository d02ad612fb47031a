package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// FuzzLambdaInvokeInput: the Invoke API's headers and payload, as an AWS
// SDK (or anyone) sends them. Headers are accepted only with the values
// Lambda knows, else EINVALID; the payload is JSON of at most 6 MB, passed
// on unchanged (blank is {}), else EINVALID (marked not-JSON) or ETOOLARGE.
func FuzzLambdaInvokeInput(f *testing.F) {
	for _, s := range []struct {
		kind, log string
		body      []byte
	}{
		{"", "", []byte(`{"key":"value"}`)}, {"RequestResponse", "Tail", []byte(" \n ")}, {"Event", "None", []byte(`[1,2]`)},
		{"DryRun", "Tail", []byte(`"s"`)}, {"requestresponse", "", []byte(`{`)}, {"", "tail", []byte(`{"a":1}{"b":2}`)}, {"", "", []byte("\"caf\xe9\"")},
		{"Event ", "", []byte("\xff")}, {"", "", []byte(`1e999`)}, {"", "", []byte(`{"a":"\ud800"}`)},
	} {
		f.Add(s.kind, s.log, s.body)
	}
	f.Fuzz(func(t *testing.T, kind, logType string, body []byte) {
		h := http.Header{}
		if kind != "" {
			h.Set(amzInvocationType, kind)
		}
		if logType != "" {
			h.Set(amzLogType, logType)
		}
		inv := &lambdaInvocation{}
		if err := inv.readHeaders(h); err != nil {
			checkFuzzCode(t, "readHeaders", err, lambda.EINVALID)
		} else {
			switch inv.kind {
			case invokeSync, invokeAsync, invokeDryRun:
			default:
				t.Fatalf("invocation type %q accepted as %q", kind, inv.kind)
			}
			if inv.tail && (inv.kind != invokeSync || h.Get(amzLogType) != "Tail") {
				t.Fatalf("log tail for type %q, log type %q", inv.kind, logType)
			}
		}

		r := httptest.NewRequest("POST", "/2015-03-31/functions/greet/invocations", bytes.NewReader(body))
		payload, err := readLambdaPayload(r)
		blank := len(bytes.TrimSpace(body)) == 0
		switch {
		case err != nil:
			checkFuzzCode(t, "readLambdaPayload", err, lambda.EINVALID, lambda.ETOOLARGE)
			if notJSON := errors.Is(err, errNotJSON); notJSON == (json.Valid(body) && utf8.Valid(body)) || notJSON && blank {
				t.Fatalf("payload %q: error %v, marked not-JSON: %v", body, err, notJSON)
			}
		case blank:
			if string(payload) != "{}" {
				t.Fatalf("blank payload passed on as %q, want {}", payload)
			}
		case !bytes.Equal(payload, body) || !json.Valid(payload) || !utf8.Valid(payload):
			t.Fatalf("payload %q passed on as %q", body, payload)
		}
	})
}

// FuzzReadJSON: every JSON body of the API (here a scaling patch and a
// schedule) decodes strictly or is refused with EINVALID, ETOOLARGE when
// over the limit, and what decodes re-encodes to a document that decodes
// to the same value.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{
		`{"concurrency":2,"idle_timeout":"5m"}`, `{"reserved_concurrency":-1}`, `{"unknown":1}`, `[1]`, `"x"`, ``, `{`,
		`{"concurrency":"2"}`, `{"idle_timeout":12}`, `{} {}`, `{"function":"greet","cron":"* * * * *","data":{"a":1}}`,
		`{"data":"\u0000"}`, `null`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{}`), true)
	f.Fuzz(func(t *testing.T, body []byte, pad bool) {
		if pad { // over the limit before the document even starts
			body = append(bytes.Repeat([]byte(" "), maxJSONBody+1), body...)
		}
		for _, v := range []any{new(lambda.ScalingPatch), new(ScheduleRequest)} {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			err := readJSON(httptest.NewRecorder(), r, v)
			if pad {
				checkFuzzCode(t, "readJSON of an oversized body", err, lambda.ETOOLARGE)
				continue
			}
			if err != nil {
				checkFuzzCode(t, "readJSON", err, lambda.EINVALID)
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T from %q does not encode: %v", v, body, err)
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := readJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/", bytes.NewReader(out)), again); err != nil {
				t.Fatalf("re-read %s: %v", out, err)
			}
			if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
				t.Fatalf("%s read back as %s", out, out2)
			}
		}
	})
}
