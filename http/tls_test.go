package http

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testCA is a private CA made for one test, and the files of a leaf
// certificate it signed.
type testCA struct {
	cert              *x509.Certificate
	key               *ecdsa.PrivateKey
	caFile            string
	certFile, keyFile string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lambda test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	dir := t.TempDir()
	ca := &testCA{cert: cert, key: key, caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	writePEM(t, ca.caFile, "CERTIFICATE", der)
	ca.issue(t, 2, "*.localhost", "localhost")
	return ca
}

// issue writes a leaf certificate for names (and 127.0.0.1) to the
// certificate and key files.
func (ca *testCA) issue(t *testing.T, serial int64, names ...string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, ca.certFile, "CERTIFICATE", der)
	writePEM(t, ca.keyFile, "EC PRIVATE KEY", kb)
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dialLocal is a client that trusts pool and reaches every host name at
// addr, as wildcard DNS would.
func dialLocal(pool *x509.CertPool, addr string) *http.Client {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func openTLSServer(t *testing.T, ca *testCA) (*Server, string) {
	t.Helper()
	s, _ := newTestServer(t, echoBackend())
	s.Addr, s.TLSCert, s.TLSKey = "127.0.0.1:0", ca.certFile, ca.keyFile
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.StorePing = func(context.Context) error { return nil }
	s.DockerPing = func(context.Context) error { return nil }
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, s.ln.Addr().String()
}

func TestServerTLS(t *testing.T) {
	ca := newTestCA(t)
	s, addr := openTLSServer(t, ca)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	client := dialLocal(pool, addr)

	if u := s.FunctionURL("greet"); !strings.HasPrefix(u, "https://greet.localhost:") {
		t.Errorf("FunctionURL = %s, want https", u)
	}
	if u := s.PathURL("greet"); !strings.HasPrefix(u, "https://localhost:") {
		t.Errorf("PathURL = %s, want https", u)
	}

	// A function by host name, verified with the wildcard certificate.
	resp, err := client.Get(s.FunctionURL("greet") + "/hello?x=1")
	if err != nil {
		t.Fatalf("gateway over HTTPS: %v", err)
	}
	var got map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got["path"] != "/hello" || resp.TLS == nil {
		t.Errorf("gateway over HTTPS: %d %v", resp.StatusCode, got)
	}
	resp, err = client.Get("https://localhost:" + strings.Split(addr, ":")[1] + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz over HTTPS: %v %v", err, resp)
	}
	resp.Body.Close()

	// Without the CA the client refuses: nothing is served unverified.
	if _, err := dialLocal(nil, addr).Get(s.FunctionURL("greet")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the CA: %v", err)
	}

	// Plain HTTP on the HTTPS port is told to use https, in JSON.
	resp, err = http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("plain HTTP: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "https://") || resp.Header.Get(ErrorHeader) != lambda.EINVALID {
		t.Errorf("plain HTTP on the HTTPS port: %d %s", resp.StatusCode, body)
	}

	// Oversized headers still get the platform's JSON 431 over TLS.
	req, _ := http.NewRequest("GET", s.FunctionURL("greet"), nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2*DefaultMaxHeaderBytes))
	resp, err = client.Do(req)
	if err != nil {
		t.Fatalf("big header: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 431 || !strings.Contains(string(body), lambda.ETOOLARGE) {
		t.Errorf("big header over TLS: %d %s", resp.StatusCode, body)
	}
}

func TestServerTLSBadFiles(t *testing.T) {
	ca := newTestCA(t)
	other := newTestCA(t)
	for _, tt := range []struct {
		name, cert, key, redirect, want string
	}{
		{"missing certificate", filepath.Join(t.TempDir(), "nope.pem"), ca.keyFile, "", "nope.pem"},
		{"key of another certificate", ca.certFile, other.keyFile, "", "--tls-key"},
		{"key alone", "", ca.keyFile, "", "--tls-cert"},
		{"redirect without TLS", "", "", "127.0.0.1:0", "--http-redirect needs --tls-cert"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer()
			s.Addr, s.TLSCert, s.TLSKey, s.HTTPRedirect = "127.0.0.1:0", tt.cert, tt.key, tt.redirect
			err := s.Open(context.Background())
			if err == nil {
				_ = s.Close(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v; want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// TestCertReload: a renewed certificate is served without a restart; a
// pair caught halfway through renewal keeps the previous one.
func TestCertReload(t *testing.T) {
	ca := newTestCA(t)
	certs, err := loadCertFiles(ca.certFile, ca.keyFile, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	serial := func() int64 {
		t.Helper()
		c, err := certs.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(c.Certificate[0])
		return leaf.SerialNumber.Int64()
	}
	if got := serial(); got != 2 {
		t.Fatalf("serial %d, want 2", got)
	}
	ca.issue(t, 3, "*.localhost")
	if got := serial(); got != 2 {
		t.Errorf("reloaded before the interval: serial %d", got)
	}
	certs.checked = time.Time{}
	if got := serial(); got != 3 {
		t.Errorf("after renewal: serial %d, want 3", got)
	}
	if err := os.WriteFile(ca.keyFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	certs.checked = time.Time{}
	if got := serial(); got != 3 {
		t.Errorf("with a broken pair: serial %d, want the previous 3", got)
	}
}

func TestCertCoverage(t *testing.T) {
	ca := newTestCA(t)
	certs, err := loadCertFiles(ca.certFile, ca.keyFile, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.coverage("localhost"); err != nil {
		t.Errorf("*.localhost covers localhost functions: %v", err)
	}
	if err := certs.coverage("example.com"); err == nil || !strings.Contains(err.Error(), "*.example.com") {
		t.Errorf("*.localhost does not cover example.com: %v", err)
	}
}

func TestRedirectToHTTPS(t *testing.T) {
	ca := newTestCA(t)
	s, _ := openTLSServer(t, ca)
	for _, tt := range []struct{ host, target, want string }{
		{"greet.localhost", "/a/b?x=1", "https://greet.localhost:%d/a/b?x=1"},
		{"localhost:80", "/2015-03-31/functions/f/invocations", "https://localhost:%d/2015-03-31/functions/f/invocations"},
	} {
		req := httptest.NewRequest("POST", tt.target, bytes.NewReader([]byte("{}")))
		req.Host = tt.host
		rec := httptest.NewRecorder()
		s.redirectToHTTPS(rec, req)
		want := strings.Replace(tt.want, "%d", strings.TrimPrefix(s.portSuffix(), ":"), 1)
		if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != want {
			t.Errorf("%s%s → %d %s, want 308 %s", tt.host, tt.target, rec.Code, rec.Header().Get("Location"), want)
		}
	}
}

func TestClientCertificateErrors(t *testing.T) {
	ca := newTestCA(t)
	s, addr := openTLSServer(t, ca)
	base := "https://" + addr

	_, err := NewClient(base).ListFunctions(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--ca-cert") {
		t.Errorf("without --ca-cert: %v", err)
	}
	c := NewClient(base)
	c.CACertFile = newTestCA(t).caFile // another CA
	if _, err := c.ListFunctions(context.Background()); err == nil || !strings.Contains(err.Error(), "check --ca-cert") {
		t.Errorf("with the wrong CA: %v", err)
	}
	c.CACertFile = ca.keyFile
	if _, err := c.ListFunctions(context.Background()); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a key as the CA: %v", err)
	}
	c.CACertFile = ca.caFile
	if _, err := c.Health(context.Background()); err != nil {
		t.Errorf("with the right CA: %v", err)
	}
	_ = s
}
