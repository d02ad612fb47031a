package swarmtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Command is name with args run in the client namespace (ip netns exec), as
// a server under test and the CLI runs against it are. The process sees the
// host's files (the manager's socket) and resolves SERVICE and
// tasks.SERVICE through Docker's DNS.
func (c *Cluster) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", c.Netns, name}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// DialContext opens a connection from inside the client namespace, so that
// a test process in the root namespace reaches a server listening there (or
// a task address directly). addr must be IP:PORT: a name would be resolved
// on other threads, outside the namespace.
func (c *Cluster) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) == nil {
		return nil, fmt.Errorf("dial %s in namespace %s: the address must be an IP, not a name", addr, c.Netns)
	}
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	// The socket is made on a thread switched into the namespace; the
	// thread goes back before it serves other goroutines, or dies with its
	// goroutine if it cannot (UnlockOSThread is then never called).
	go func() {
		runtime.LockOSThread()
		restore, err := enterNetns("/run/netns/" + c.Netns)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, addr)
		if restore() == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{conn, err}
	}()
	r := <-ch
	return r.conn, r.err
}

// enterNetns switches the calling (locked) thread into the namespace at
// path and returns how to switch it back.
func enterNetns(path string) (func() error, error) {
	orig, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), syscall.Gettid()))
	if err != nil {
		return nil, err
	}
	target, err := os.Open(path)
	if err != nil {
		orig.Close()
		return nil, err
	}
	defer target.Close()
	if err := setns(target); err != nil {
		orig.Close()
		return nil, fmt.Errorf("enter network namespace %s: %w", path, err)
	}
	return func() error {
		defer orig.Close()
		return setns(orig)
	}, nil
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

// HTTPClient is a client whose connections start in the client namespace.
func (c *Cluster) HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         c.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// ErrNoNetns is returned by Addr when the client namespace has no address
// on the overlay network.
var ErrNoNetns = errors.New("the client namespace has no overlay address")

// Addr is the client namespace's address on the overlay network: a server
// under test listening there is reachable from the tasks too.
func (c *Cluster) Addr(ctx context.Context) (string, error) {
	out, err := c.Docker(ctx, 1, "inspect", "-f",
		fmt.Sprintf(`{{with index .NetworkSettings.Networks %q}}{{.IPAddress}}{{end}}`, c.Network), "lsw-client")
	if err != nil {
		return "", err
	}
	if net.ParseIP(out) == nil {
		return "", ErrNoNetns
	}
	return out, nil
}
