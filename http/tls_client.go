package http

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
)

// The client always verifies the server's certificate: against the
// system's roots, plus a private CA given with --ca-cert. There is no
// switch that skips verification.

// caClients holds one *http.Client per CA file, so that a command's
// requests share connections (one handshake) whatever Client they use.
var caClients sync.Map // CA file path → *http.Client

// httpClientFor returns the HTTP client of c: its own, one trusting
// CACertFile, or the default.
func (c *Client) httpClientFor() (*http.Client, error) {
	switch {
	case c.HTTPClient != nil:
		return c.HTTPClient, nil
	case c.CACertFile == "":
		return http.DefaultClient, nil
	}
	if hc, ok := caClients.Load(c.CACertFile); ok {
		return hc.(*http.Client), nil
	}
	pool, err := CACertPool(c.CACertFile)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc, _ := caClients.LoadOrStore(c.CACertFile, &http.Client{Transport: tr})
	return hc.(*http.Client), nil
}

// CACertPool returns the system's roots plus the PEM certificates in
// file.
func CACertPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read the CA certificate given with --ca-cert: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-cert %s holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate, not its key", file)
	}
	return pool, nil
}

// certificateError explains a failed verification of the server's
// certificate and what to do about it; nil when err is something else.
func (c *Client) certificateError(err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown) && c.CACertFile == "":
		return fmt.Errorf("the Lambda server at %s presents a certificate this machine does not trust (%w): if it comes from a private CA, pass the CA's certificate with --ca-cert FILE (env LAMBDA_CA_CERT)", c.BaseURL, err)
	case errors.As(err, &unknown):
		return fmt.Errorf("the Lambda server at %s presents a certificate signed neither by the CA in %s nor by one this machine trusts (%w): check --ca-cert", c.BaseURL, c.CACertFile, err)
	case errors.As(err, &host):
		return fmt.Errorf("the Lambda server's certificate does not cover the host of %s (%w): use a --server URL with a name the certificate holds", c.BaseURL, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("the Lambda server at %s presents an invalid certificate (%w): renew it on the server", c.BaseURL, err)
	}
	return nil
}
