package http

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fuzzCron accepts any non-empty expression: the cron package fuzzes its
// own parser (cron.FuzzValidate); here only the deploy reader is under test.
type fuzzCron struct{}

func (fuzzCron) Next(expr, tz string, t time.Time) (time.Time, error) {
	if expr == "" {
		return time.Time{}, lambda.Errorf(lambda.EINVALID, "empty cron expression")
	}
	return t.Add(time.Hour), nil
}

// checkFuzzCode fails unless err is a *lambda.Error with one of codes:
// what an API client is told must be a refusal, never a platform error.
func checkFuzzCode(t *testing.T, what string, err error, codes ...string) {
	t.Helper()
	var e *lambda.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not a *lambda.Error", what, err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			return
		}
	}
	t.Fatalf("%s: error code %q (%v), want one of %v", what, e.Code, err, codes)
}

// FuzzDeployUpload: a well-formed upload with any config and any second
// part is refused with EINVALID or ETOOLARGE, or accepted with exactly one
// source, a valid config, and the part's bytes readable as sent.
func FuzzDeployUpload(f *testing.F) {
	for _, s := range []struct {
		config, part string
		body         []byte
	}{
		{`{"config":{"runtime":"go","port":8080,"timeout":"30s","memory_bytes":134217728}}`, PartCode, []byte("PK\x03\x04")},
		{`{"config":{},"image":"nginx:1.27"}`, "", nil},
		{`{"config":{},"image":"nginx:1.27"}`, PartCode, []byte("x")},
		{`{"config":{"env":{"A":"1","1B":"x"}}}`, PartCode, nil},
		{`{"config":{"timeout":"1ns"},"scaling":{"concurrency":-3}}`, PartImageArchive, []byte("tar")},
		{`{"config":{},"schedules":[{"cron":"*/5 * * * *","overlap":"never"}]}`, PartCode, nil},
		{`{"config":{},"schedules":[{"cron":""}]}`, PartCode, nil},
		{`{"config":{},"unknown":1}`, PartCode, nil},
		{` [1]`, PartCode, nil}, {``, PartCode, nil}, {`{"config":{}}`, "other", nil}, {`{"config":{}}{`, PartCode, nil},
	} {
		f.Add([]byte(s.config), s.part, s.body)
	}
	s := openForTest(NewServer())
	s.Cron = fuzzCron{}
	f.Fuzz(func(t *testing.T, config []byte, part string, body []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, err := mw.CreateFormField(PartConfig)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(config)
		if part != "" {
			if w, err = mw.CreateFormField(part); err != nil {
				t.Fatal(err)
			}
			w.Write(body)
		}
		mw.Close()
		r := httptest.NewRequest("POST", "/v1/functions/greet/deploy", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())

		req, err := s.readDeployUpload(r, "greet")
		if err != nil {
			checkFuzzCode(t, "readDeployUpload", err, lambda.EINVALID, lambda.ETOOLARGE)
			return
		}
		sources := 0
		for _, present := range []bool{req.Code != nil, req.ImageArchive != nil, req.Image != ""} {
			if present {
				sources++
			}
		}
		if sources != 1 {
			t.Fatalf("accepted an upload with %d sources (config %q, part %q)", sources, config, part)
		}
		if err := req.Config.WithDefaults().Validate(); err != nil {
			t.Fatalf("accepted an invalid config %q: %v", config, err)
		}
		if err := req.Scaling.Apply(lambda.Scaling{}).Validate(); err != nil {
			t.Fatalf("accepted invalid scaling %q: %v", config, err)
		}
		for _, src := range []io.Reader{req.Code, req.ImageArchive} {
			if src == nil {
				continue
			}
			got, err := io.ReadAll(src)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("source part read as %q, %v; sent %q", got, err, body)
			}
		}
	})
}

// FuzzDeployUploadRaw: any bytes under a multipart content type (or any
// content type) are refused with EINVALID or ETOOLARGE, or accepted; the
// accepted source reads to its end without panicking or hanging.
func FuzzDeployUploadRaw(f *testing.F) {
	const boundary = "b0undary"
	f.Add("multipart/form-data; boundary="+boundary, []byte("--"+boundary+"\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n{\"config\":{}}\r\n--"+boundary+"\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nPK\r\n--"+boundary+"--\r\n"))
	f.Add("multipart/form-data; boundary="+boundary, []byte("--"+boundary+"\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n{\"config\":{}}\r\n--"+boundary+"\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nunterminated"))
	f.Add("multipart/form-data; boundary="+boundary, []byte("--"+boundary+"--\r\n"))
	f.Add("multipart/form-data", []byte("x"))
	f.Add("application/json", []byte(`{"config":{}}`))
	f.Add("multipart/mixed; boundary=\"\"", []byte{})
	s := openForTest(NewServer())
	s.Cron = fuzzCron{}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest("POST", "/v1/functions/greet/deploy", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		req, err := s.readDeployUpload(r, "greet")
		if err != nil {
			checkFuzzCode(t, "readDeployUpload", err, lambda.EINVALID, lambda.ETOOLARGE)
			return
		}
		for _, src := range []io.Reader{req.Code, req.ImageArchive} {
			if src != nil {
				n, _ := io.Copy(io.Discard, src)
				if n > int64(len(body)) {
					t.Fatalf("read %d bytes of a %d-byte upload", n, len(body))
				}
			}
		}
	})
}
