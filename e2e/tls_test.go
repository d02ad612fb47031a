package e2e

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
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// TestTLS serves HTTPS with a wildcard certificate for *.localhost from a
// private CA made here, and uses it as a user would: the CLI with
// --ca-cert (deploy, invoke), a function by host name, the Invoke API
// through the AWS SDK, and the plain HTTP redirect.
func TestTLS(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	pki := newTestPKI(t, "*.localhost", "localhost")
	s := &server{t: t, port: freePort(t), dataDir: t.TempDir()}
	redirectPort := freePort(t)
	s.launchTLS(pki, "--http-redirect", fmt.Sprintf("127.0.0.1:%d", redirectPort))
	t.Cleanup(func() {
		s.stop()
		removeNamespace(s.namespace())
	})
	base := fmt.Sprintf("https://localhost:%d", s.port)
	adminKey, err := os.ReadFile(filepath.Join(s.dataDir, "admin.key"))
	if err != nil {
		t.Fatalf("the server wrote no admin key: %v", err)
	}
	cli := func(args ...string) result {
		t.Helper()
		return runCLI(t, append([]string{"--server", base, "--api-key", strings.TrimSpace(string(adminKey))}, args...)...)
	}
	must := func(args ...string) result {
		t.Helper()
		res := cli(append([]string{"--ca-cert", pki.caFile}, args...)...)
		if res.code != 0 {
			t.Fatalf("lambda %s: exit %d\n%s\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
		return res
	}

	// Without the CA the CLI refuses the server and says what to pass.
	if res := cli("list"); res.code == 0 || !strings.Contains(res.stderr, "--ca-cert") {
		t.Errorf("lambda list without --ca-cert: exit %d\n%s", res.code, res.stderr)
	}

	name := s.fn("tls")
	res := must("deploy", "--image", fixtureImage(t), "--name", name)
	wantURL := fmt.Sprintf("https://%s.localhost:%d", name, s.port)
	if !strings.Contains(res.stdout+res.stderr, wantURL) {
		t.Errorf("deploy does not show the https URL %s:\n%s\n%s", wantURL, res.stdout, res.stderr)
	}
	if res := must("invoke", name, "--data", `{"over":"tls"}`); !strings.Contains(res.stdout, `{\"over\":\"tls\"}`) {
		t.Errorf("invoke over HTTPS: %s", res.stdout)
	}

	// The function by host name: SNI and Host are NAME.localhost, verified
	// against the wildcard certificate.
	client := pki.client(fmt.Sprintf("127.0.0.1:%d", s.port))
	resp, err := client.Get(wantURL + "/hello?x=1")
	if err != nil {
		t.Fatalf("gateway over HTTPS: %v", err)
	}
	var echo struct{ Host, Path string }
	_ = json.NewDecoder(resp.Body).Decode(&echo)
	resp.Body.Close()
	if resp.StatusCode != 200 || echo.Path != "/hello" || resp.TLS == nil || resp.TLS.PeerCertificates[0].Subject.CommonName != "*.localhost" {
		t.Errorf("gateway over HTTPS: %d %+v", resp.StatusCode, echo)
	}

	// Plain HTTP on the redirect port goes to the same host over HTTPS.
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/fn/%s/a?b=1", redirectPort, name), nil)
	req.Host = name + ".localhost"
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: time.Minute}
	resp, err = plain.Do(req)
	if err != nil {
		t.Fatalf("redirect: %v", err)
	}
	resp.Body.Close()
	if want := wantURL + "/fn/" + name + "/a?b=1"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("redirect: %d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// The Invoke API through the SDK, signed with an invoke key's
	// credentials: ID as access key ID, secret as secret access key.
	var key struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(must("keys", "create", "tls-sdk", "--scope", "invoke", "--function", name, "-o", "json").stdout), &key); err != nil || key.Secret == "" {
		t.Fatalf("keys create -o json: %v %+v", err, key)
	}
	sdk := func(secret string) (*awslambda.InvokeOutput, error) {
		c := awslambda.New(awslambda.Options{
			BaseEndpoint: aws.String(base), Region: "us-east-1", HTTPClient: client,
			Credentials: credentials.NewStaticCredentialsProvider(key.ID, secret, ""),
		})
		return c.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"sdk":"tls"}`)})
	}
	out, err := sdk(key.Secret)
	if err != nil || out.StatusCode != 200 || !strings.Contains(string(out.Payload), `{\"sdk\":\"tls\"}`) {
		t.Errorf("SDK invoke over HTTPS: %v %+v", err, out)
	}
	_, err = sdk(key.Secret + "x")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("SDK with a wrong secret: %v; want InvalidSignatureException", err)
	}
	must("delete", name)
}

// launchTLS starts the server with the PKI's certificate and waits for
// /healthz to answer over HTTPS.
func (s *server) launchTLS(pki *testPKI, extra ...string) {
	s.t.Helper()
	p := &process{logs: &syncBuffer{}, done: make(chan error, 1)}
	args := append([]string{"server", "--addr", fmt.Sprintf("127.0.0.1:%d", s.port), "--data", s.dataDir, "--domain", "localhost",
		"--log-level", "debug", "--tls-cert", pki.certFile, "--tls-key", pki.keyFile}, extra...)
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.process = p
	go func() { p.done <- p.cmd.Wait() }()
	client := pki.client(fmt.Sprintf("127.0.0.1:%d", s.port))
	health := fmt.Sprintf("https://localhost:%d/healthz", s.port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(health); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case err := <-p.done:
			s.t.Fatalf("server exited at start: %v\n%s", err, p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.t.Fatalf("server did not answer over HTTPS within 20s:\n%s", p.logs.String())
}

// runCLI runs the lambda binary with args, as-is (no --server added).
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("lambda %v: %v", args, err)
	}
	return res
}

// testPKI is a private CA made for one test and a certificate it signed.
type testPKI struct {
	ca                        *x509.Certificate
	caFile, certFile, keyFile string
}

func newTestPKI(t *testing.T, names ...string) *testPKI {
	t.Helper()
	dir := t.TempDir()
	p := &testPKI{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	caKey, caDER := p.sign(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lambda e2e CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	p.ca, _ = x509.ParseCertificate(caDER)
	leafKey, leafDER := p.sign(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, p.ca, caKey)
	keyDER, err := x509.MarshalECPrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{p.caFile, "CERTIFICATE", caDER}, {p.certFile, "CERTIFICATE", leafDER}, {p.keyFile, "EC PRIVATE KEY", keyDER}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// sign makes a certificate from tmpl, signed by parent (self-signed when
// nil), valid for an hour either side of now.
func (p *testPKI) sign(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// client trusts the CA and reaches every host name at addr, as wildcard
// DNS to the server would; it does not follow redirects.
func (p *testPKI) client(addr string) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}
}
