package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"

	"github.com/lambdahq/lambda"
)

// Deploy uploads code (a tar.gz of the function directory) with req as a
// new version of the function name. The upload is streamed, never held in
// memory. onEvent (may be nil) sees the step and log events as the server
// sends them. A failed deploy returns a *lambda.Error; the server keeps the
// previous version serving. The result's Changed is false when the code
// and configuration were the active version's (and not req.Force): no
// version was published.
func (c *Client) Deploy(ctx context.Context, name string, req DeployRequest, code io.Reader, onEvent func(DeployEvent)) (*DeployResult, error) {
	req.Image = ""
	return c.deploy(ctx, name, req, PartCode, code, onEvent)
}

// DeployImage deploys image, an image on the server's host (pulled there
// if missing and a registry answers), as a new version of name.
func (c *Client) DeployImage(ctx context.Context, name string, req DeployRequest, image string, onEvent func(DeployEvent)) (*DeployResult, error) {
	if image == "" {
		return nil, lambda.Errorf(lambda.EINVALID, "image name is empty")
	}
	req.Image = image
	return c.deploy(ctx, name, req, "", nil, onEvent)
}

// DeployArchive uploads a `docker save` tarball, streamed, and deploys the
// image it holds as a new version of name. The server refuses archives
// over MaxImageArchiveBytes.
func (c *Client) DeployArchive(ctx context.Context, name string, req DeployRequest, archive io.Reader, onEvent func(DeployEvent)) (*DeployResult, error) {
	req.Image = ""
	return c.deploy(ctx, name, req, PartImageArchive, archive, onEvent)
}

// deploy sends the config part, then body as the part called part (none
// when part is "").
func (c *Client) deploy(ctx context.Context, name string, req DeployRequest, part string, body io.Reader, onEvent func(DeployEvent)) (*DeployResult, error) {
	resp, err := c.postDeploy(ctx, apiPath("v1", "functions", name, "deploy"), req, part, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		// Not a stream: the server answered with the result at once. A
		// server that does not say published a version.
		out := DeployResult{Changed: true}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, fmt.Errorf("decode deploy answer: %w", err)
		}
		return &out, nil
	}
	res, err := readDeployEvents(resp.Body, onEvent)
	return res, streamError(err, resp.Header)
}

// postDeploy posts a deploy upload to path: the config (req, as JSON),
// then body streamed as the part called part (none when part is ""). It
// returns the server's 2xx answer, whose body the caller reads and closes;
// any other answer is returned as its error.
func (c *Client) postDeploy(ctx context.Context, path string, req any, part string, body io.Reader) (*http.Response, error) {
	config, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode deploy config: %w", err)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	hreq, err := c.newRequest(ctx, http.MethodPost, path, pr)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", mw.FormDataContentType())
	hreq.Header.Set("Accept", "application/x-ndjson")

	written := make(chan error, 1)
	go func() {
		err := writeDeployParts(mw, config, part, body)
		pw.CloseWithError(err)
		written <- err
	}()
	resp, err := c.send(hreq)
	if err != nil {
		pr.CloseWithError(errDeployFinished)
		if werr := <-written; werr != nil && !errors.Is(werr, errDeployFinished) && !errors.Is(werr, io.ErrClosedPipe) && ctx.Err() == nil {
			return nil, fmt.Errorf("upload %s: %w", uploadWhat(part), werr)
		}
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		pr.CloseWithError(errDeployFinished)
		defer resp.Body.Close()
		return nil, responseError(resp)
	}
	// Closing the reader ends the writer whatever the server did with the
	// body, e.g. when it streamed its answer before reading it all.
	resp.Body = &closeBoth{ReadCloser: resp.Body, upload: pr}
	return resp, nil
}

// closeBoth closes a deploy's answer and ends its upload's writer.
type closeBoth struct {
	io.ReadCloser
	upload *io.PipeReader
}

func (b *closeBoth) Close() error {
	b.upload.CloseWithError(errDeployFinished)
	return b.ReadCloser.Close()
}

func uploadWhat(part string) string {
	if part == PartImageArchive {
		return "image archive"
	}
	return "code"
}

var errDeployFinished = errors.New("deploy request finished")

func writeDeployParts(mw *multipart.Writer, config []byte, name string, body io.Reader) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="config"`)
	h.Set("Content-Type", "application/json")
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := part.Write(config); err != nil {
		return err
	}
	if name != "" {
		h = textproto.MIMEHeader{}
		switch name {
		case PartImageArchive:
			h.Set("Content-Disposition", `form-data; name="image-archive"; filename="image.tar"`)
			h.Set("Content-Type", "application/x-tar")
		default:
			h.Set("Content-Disposition", `form-data; name="code"; filename="code.tar.gz"`)
			h.Set("Content-Type", "application/gzip")
		}
		if part, err = mw.CreatePart(h); err != nil {
			return err
		}
		if _, err := io.Copy(part, body); err != nil {
			return err
		}
	}
	return mw.Close()
}

// readDeployEvents follows the NDJSON event stream to its done or error
// event.
func readDeployEvents(r io.Reader, onEvent func(DeployEvent)) (*DeployResult, error) {
	ev, err := followDeployEvents(r, onEvent, `"lambda describe" to see which version serves`)
	if err != nil {
		return nil, err
	}
	if ev.Function == nil {
		return nil, lambda.Errorf(lambda.EINTERNAL, "the server reported a finished deploy without the function")
	}
	// A server that does not say published a version.
	return &DeployResult{FunctionDetail: *ev.Function, Changed: ev.Changed == nil || *ev.Changed, Schedules: ev.Schedules}, nil
}

// followDeployEvents hands a deploy's step and log events to onEvent (may
// be nil) and returns its done event, or its error event as the error. A
// stream cut before either says to check the server's log, then to run
// check (a command and what it shows).
func followDeployEvents(r io.Reader, onEvent func(DeployEvent), check string) (DeployEvent, error) {
	dec := json.NewDecoder(r)
	for {
		var ev DeployEvent
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return ev, lambda.Errorf(lambda.EINTERNAL, "the server ended the deploy stream without a result; check the server's log, then run %s", check)
			}
			return ev, fmt.Errorf("read deploy events: %w", err)
		}
		switch ev.Type {
		case EventDone:
			return ev, nil
		case EventError:
			if ev.Error == nil {
				return ev, &lambda.Error{Code: lambda.EINTERNAL, Message: "deploy failed (the server gave no reason)"}
			}
			code := ev.Error.Code
			if code == "" {
				code = lambda.EINTERNAL
			}
			return ev, &lambda.Error{Code: code, Message: ev.Error.Message}
		default:
			// step, log and event types this client does not know yet.
			if onEvent != nil {
				onEvent(ev)
			}
		}
	}
}
