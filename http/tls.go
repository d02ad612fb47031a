package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// HTTPS on the server's one port. The certificate (a wildcard one for
// *.DOMAIN serves every function's host name) is read from files, and read
// again when they change, so a renewal (certbot, acme.sh) needs no restart.

// certReloadInterval is how often a handshake may look at the files.
const certReloadInterval = 10 * time.Second

type certFiles struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // modification times and sizes of both files when loaded
	checked time.Time
}

// loadCertFiles reads the pair once, so that a wrong path or a key that
// does not match fails the server's start with a clear error.
func loadCertFiles(certFile, keyFile string, logger *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, logger: logger}
	stamp, err := c.stampNow()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load the TLS certificate %s and key %s: %w (give --tls-cert a PEM certificate chain and --tls-key its PEM private key)", certFile, keyFile, err)
	}
	c.cert, c.stamp, c.checked = &cert, stamp, time.Now()
	return c, nil
}

func (c *certFiles) stampNow() (string, error) {
	var stamp string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("TLS file: %w", err)
		}
		stamp += fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10) + ";"
	}
	return stamp, nil
}

// get serves the current certificate; when the files changed it loads
// them, and keeps the previous certificate if the new pair does not load
// (a renewal caught halfway: the next check retries).
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < certReloadInterval {
		return c.cert, nil
	}
	c.checked = time.Now()
	stamp, err := c.stampNow()
	if err != nil || stamp == c.stamp {
		return c.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.logger.Warn("TLS certificate changed but does not load; still serving the previous one", "cert", c.certFile, "key", c.keyFile, "err", err)
		return c.cert, nil
	}
	c.cert, c.stamp = &cert, stamp
	c.logger.Info("TLS certificate reloaded", "cert", c.certFile)
	return c.cert, nil
}

// coverage warns when the certificate does not cover the names clients
// will use: NAME.DOMAIN for functions.
func (c *certFiles) coverage(domain string) error {
	leaf, err := x509.ParseCertificate(c.cert.Certificate[0])
	if err != nil {
		return err
	}
	if err := leaf.VerifyHostname("name." + domain); err != nil {
		return fmt.Errorf("functions' host names (NAME.%s) will fail verification: %w; use a certificate for *.%s", domain, err, domain)
	}
	return nil
}

// tlsListener serves TLS on ln. The conns it accepts are wrapped again by
// jsonErrorListener, which must see plain text; net/http then no longer
// sees a *tls.Conn, so it neither negotiates HTTP/2 (ALPN offers only
// http/1.1) nor answers plain HTTP itself: tlsConn does.
func (s *Server) tlsListener(ln net.Listener) (net.Listener, error) {
	if s.TLSCert == "" || s.TLSKey == "" {
		return nil, errors.New("HTTPS needs both --tls-cert (the certificate chain) and --tls-key (its private key)")
	}
	certs, err := loadCertFiles(s.TLSCert, s.TLSKey, s.Logger)
	if err != nil {
		return nil, err
	}
	if err := certs.coverage(s.Domain); err != nil {
		s.Logger.Warn("the TLS certificate does not cover the functions' domain", "err", err)
	}
	cfg := &tls.Config{
		GetCertificate: certs.get,
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
	}
	return tlsOnlyListener{Listener: tls.NewListener(ln, cfg)}, nil
}

type tlsOnlyListener struct{ net.Listener }

func (l tlsOnlyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsConn{Conn: c.(*tls.Conn)}, nil
}

// tlsConn answers a client that speaks plain HTTP to the HTTPS port with
// an error telling it to use https, as net/http does for a *tls.Conn.
type tlsConn struct {
	*tls.Conn
}

func (c *tlsConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	var re tls.RecordHeaderError
	if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader) {
		_ = re.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(re.Conn, plainHTTPOnTLS)
		_ = re.Conn.Close()
	}
	return n, err
}

// plainHTTPOnTLS is the answer to a plain HTTP request on the HTTPS port,
// in the platform's error JSON.
const plainHTTPOnTLS = "HTTP/1.0 400 Bad Request\r\nContent-Type: application/json\r\n" + ErrorHeader + ": invalid\r\nConnection: close\r\n\r\n" +
	`{"error":{"code":"invalid","message":"this server speaks HTTPS: use an https:// URL"}}` + "\n"

func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH":
		return true
	}
	return false
}

// Scheme is "https" when the server serves TLS, else "http".
func (s *Server) Scheme() string {
	if s.TLSCert != "" || s.TLSKey != "" {
		return "https"
	}
	return "http"
}

// openRedirect serves HTTPRedirect, sending every request to the same
// host and path over HTTPS on the server's port.
func (s *Server) openRedirect(ctx context.Context) error {
	if s.HTTPRedirect == "" {
		return nil
	}
	if s.TLSCert == "" {
		return errors.New("--http-redirect needs --tls-cert and --tls-key: there is no HTTPS to redirect to")
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.HTTPRedirect)
	if err != nil {
		return fmt.Errorf("listen on %s for the HTTP redirect: %w", s.HTTPRedirect, err)
	}
	s.redirect = &http.Server{
		Handler:           boundUnreadBody(http.HandlerFunc(s.redirectToHTTPS)),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		MaxHeaderBytes:    s.MaxHeaderBytes,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelDebug),
	}
	go func() { _ = s.redirect.Serve(ln) }()
	return nil
}

// redirectToHTTPS keeps the method and body (308): an API client that
// followed a 301 with a POST would otherwise lose its payload.
func (s *Server) redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host = "localhost"
	}
	if p := s.Port(); p != 443 && p != 0 {
		host = net.JoinHostPort(host, strconv.Itoa(p))
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
}
