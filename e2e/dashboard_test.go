package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lambdahq/lambda/drivertest"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browser starts one headless Chromium for the test and its subtests (a
// start takes seconds); each tab made from it has its own session storage.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if p := os.Getenv("LAMBDA_E2E_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		drivertest.SkipOrFail(t, "Chromium is not installed (%v): apt-get install -y --no-install-recommends chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab opens a tab of the browser for one subtest, bounded in time.
func tab(t *testing.T, b context.Context, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

// do runs browser actions, failing the test with what the page shows.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		body, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

// waitJS waits until the expression is truthy in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	do(t, ctx, what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, tg)
		return chromedp.Void{}, err
	})
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// login logs the tab in with key through the login form.
func login(t *testing.T, ctx context.Context, s *server, key string) {
	t.Helper()
	do(t, ctx, "open the login page",
		chromedp.Navigate(s.url("/ui/")),
		chromedp.WaitVisible(chromedp.ID("key")),
		chromedp.SendKeys(chromedp.ID("key"), key),
		chromedp.Click(chromedp.ID("login")))
}

// screenshot saves the tab's page as docs/NAME with UPDATE_SCREENSHOTS=1,
// else in the test's temporary directory (so that taking it is tested).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := t.TempDir()
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "docs")
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func activeVersion(t *testing.T, s *server, name string) int {
	t.Helper()
	resp, body := s.request("GET", "", "/v1/functions/"+name, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET function: %d %s", resp.StatusCode, body)
	}
	var d struct {
		Active struct {
			Number int `json:"number"`
		} `json:"active"`
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	return d.Active.Number
}

// TestDashboard drives the dashboard in a real Chromium: what a user sees
// and does, checked against the API.
func TestDashboard(t *testing.T) {
	requireDocker(t)
	b := browser(t)
	s := sharedServer(t)
	name := s.fn("dash")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name, "--env", "FIXTURE_TAG=v2")
	if v := activeVersion(t, s, name); v != 2 {
		t.Fatalf("active version %d after two deploys, want 2", v)
	}
	fnPage := s.url("/ui/#/fn/" + name)

	t.Run("without a key the login page, never data", func(t *testing.T) {
		ctx := tab(t, b, 30*time.Second)
		do(t, ctx, "open a function's page without a key", chromedp.Navigate(fnPage), chromedp.WaitVisible(chromedp.ID("key")))
		// Give the page time to fetch, were it to.
		do(t, ctx, "wait", chromedp.Sleep(500*time.Millisecond))
		if text := evalJS[string](t, ctx, `document.body.innerText`); strings.Contains(text, name) {
			t.Errorf("the page without a key shows the function's name:\n%s", text)
		}
	})

	t.Run("a wrong key shows an error", func(t *testing.T) {
		ctx := tab(t, b, 30*time.Second)
		login(t, ctx, s, "lmb_"+strings.Repeat("x", 43))
		waitJS(t, ctx, "the login error", `document.querySelector('#login-error .error')`, 10*time.Second)
		text := evalJS[string](t, ctx, `document.getElementById('login-error').innerText`)
		// Other tests' refusals on the shared server may have put the
		// address past the failure limit: then the refusal is a 429.
		refused := strings.Contains(text, "not valid") && strings.Contains(text, "lambda keys create")
		throttled := strings.Contains(text, "too many failed authentications") && strings.Contains(text, "retry")
		if !refused && !throttled {
			t.Errorf("login error %q, want the server's refusal and what to do", text)
		}
		if k := evalJS[string](t, ctx, `sessionStorage.getItem('lambda.key') || ''`); k != "" {
			t.Errorf("a refused key was kept: %q", k)
		}
	})

	ctx := tab(t, b, 3*time.Minute)
	t.Run("log in and the overview lists the function", func(t *testing.T) {
		login(t, ctx, s, s.apiKey)
		waitJS(t, ctx, "the function's row", fmt.Sprintf(`document.querySelector('tr[data-function=%q]')`, name), 15*time.Second)
		row := evalJS[string](t, ctx, fmt.Sprintf(`document.querySelector('tr[data-function=%q]').innerText`, name))
		if !strings.Contains(row, "v2") || !strings.Contains(row, "ready") {
			t.Errorf("overview row %q, want version v2 and status ready", row)
		}
	})

	const n = 12
	t.Run("after requests the charts show data points", func(t *testing.T) {
		for i := range n {
			if resp, body := s.request("GET", "", fmt.Sprintf("/fn/%s/chart-%d", name, i), nil); resp.StatusCode != 200 {
				t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
			}
		}
		do(t, ctx, "open the function's page", chromedp.Navigate(fnPage))
		waitJS(t, ctx, "the requests counted", fmt.Sprintf(`Number((document.getElementById('total-requests')||{}).textContent) >= %d`, n), 20*time.Second)
		points := evalJS[int](t, ctx, `document.querySelectorAll('#latency-chart .series[data-series=p95] circle.pt').length`)
		if points < 1 {
			t.Errorf("the latency chart has %d p95 points after %d requests", points, n)
		}
		waitJS(t, ctx, "the invocations listed", `document.querySelectorAll('#invocations-list tr[data-invocation]').length > 0`, 10*time.Second)
	})

	t.Run("a line the function prints appears in the live log tail", func(t *testing.T) {
		waitJS(t, ctx, "the tail following", `document.getElementById('log-status').textContent.startsWith('following')`, 10*time.Second)
		marker := "tail-marker-" + runID
		if resp, body := s.request("GET", "", "/fn/"+name+"/"+marker, nil); resp.StatusCode != 200 {
			t.Fatalf("request: %d %s", resp.StatusCode, body)
		}
		waitJS(t, ctx, "the marker in the tail", fmt.Sprintf(`document.getElementById('log-tail').innerText.includes(%q)`, marker), 15*time.Second)
	})

	t.Run("the rollback button switches the version", func(t *testing.T) {
		do(t, ctx, "roll back to v1",
			chromedp.WaitVisible(chromedp.CSS(`button.rollback[data-version="1"]`)),
			chromedp.Click(chromedp.CSS(`button.rollback[data-version="1"]`)))
		waitJS(t, ctx, "the rollback's message", `document.getElementById('versions-msg').innerText.includes('v1 now serves')`, 60*time.Second)
		if v := activeVersion(t, s, name); v != 1 {
			t.Errorf("active version %d after the dashboard's rollback, want 1", v)
		}
		waitJS(t, ctx, "the page's version", `document.getElementById('active-version').dataset.version === '1'`, 10*time.Second)
	})

	t.Run("the alias slider splits traffic", func(t *testing.T) {
		// live serves v1 since the rollback: send half of it to v2.
		form := `form[data-alias="live"]`
		waitJS(t, ctx, "live at v1 on the page", `(document.querySelector('form[data-alias="live"] input[name=version]') || {}).value === '1'`, 15*time.Second)
		do(t, ctx, "set live's split",
			chromedp.WaitVisible(chromedp.CSS(form+` input[name=additional_version]`)),
			chromedp.SetValue(chromedp.CSS(form+` input[name=additional_version]`), "2"))
		evalJS[bool](t, ctx, `(() => { const r = document.querySelector('form[data-alias="live"] input[name=weight]');
			r.value = '50'; r.dispatchEvent(new Event('input')); return true; })()`)
		do(t, ctx, "save the split", chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
		waitJS(t, ctx, "the split's message", `document.getElementById('aliases-msg').innerText.includes('50% to v2')`, 60*time.Second)
		resp, body := s.request("GET", "", "/v1/functions/"+name+"/aliases/live", nil)
		var live struct {
			Version           int     `json:"version"`
			AdditionalVersion int     `json:"additional_version"`
			Weight            float64 `json:"weight"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &live) != nil {
			t.Fatalf("GET alias live: %d %s", resp.StatusCode, body)
		}
		if live.Version != 1 || live.AdditionalVersion != 2 || live.Weight != 0.5 {
			t.Fatalf("live after the slider: %+v, want v1 with 0.5 to v2", live)
		}
		// 200 requests at 0.5: v2 serves 100 ± 7 (one standard
		// deviation); 55-145 is more than six, a false failure once in
		// a billion runs.
		const requests = 200
		v2 := 0
		for i := range requests {
			resp, body := s.request("GET", "", fmt.Sprintf("/fn/%s/split-%d", name, i), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
			}
			var echo struct {
				Env string `json:"env"`
			}
			if err := json.Unmarshal([]byte(body), &echo); err != nil {
				t.Fatalf("request %d: %v: %s", i, err, body)
			}
			if echo.Env == "v2" {
				v2++
			}
		}
		if v2 < 55 || v2 > 145 {
			t.Errorf("v2 served %d of %d requests with weight 0.5, want 55-145", v2, requests)
		}
		t.Logf("v2 served %d of %d requests", v2, requests)
		waitJS(t, ctx, "the split's requests counted", fmt.Sprintf(`Number((document.getElementById('total-requests')||{}).textContent) >= %d`, n+requests), 20*time.Second)
		screenshot(t, ctx, "dashboard-function.png")
	})

	t.Run("the overview refreshes live", func(t *testing.T) {
		do(t, ctx, "open the overview", chromedp.Navigate(s.url("/ui/#/")))
		waitJS(t, ctx, "the function's row", fmt.Sprintf(`document.querySelector('tr[data-function=%q] svg.spark circle')`, name), 15*time.Second)
		screenshot(t, ctx, "dashboard-overview.png")
		// Live: requests sent now show without reloading the page.
		rpm := fmt.Sprintf(`document.querySelector('tr[data-function=%q] td.rpm').textContent`, name)
		before := evalJS[string](t, ctx, rpm)
		for i := range 30 {
			s.request("GET", "", fmt.Sprintf("/fn/%s/live-%d", name, i), nil)
		}
		waitJS(t, ctx, "the overview refreshed", fmt.Sprintf(`%s !== %q`, rpm, before), 20*time.Second)
	})

	t.Run("readable on a phone", func(t *testing.T) {
		for _, page := range []string{"/ui/#/", "/ui/#/fn/" + name} {
			do(t, ctx, "open "+page+" at a phone's width",
				chromedp.EmulateViewport(390, 844),
				chromedp.Navigate(s.url(page)),
				chromedp.WaitVisible(chromedp.CSS(`table.list tbody tr`)))
			// Tables become cards: nothing wider than the screen.
			if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
				t.Errorf("%s is %d px wide on a 390 px screen", page, w)
			}
		}
		do(t, ctx, "back to a desktop's width", chromedp.EmulateViewport(1280, 900))
	})

	t.Run("usable without a mouse", func(t *testing.T) {
		do(t, ctx, "sort the overview with the keyboard",
			chromedp.Navigate(s.url("/ui/#/")),
			chromedp.WaitVisible(chromedp.CSS(`button[data-sort=rpm]`)),
			chromedp.Focus(chromedp.CSS(`button[data-sort=rpm]`)),
			chromedp.KeyEvent(kb.Enter))
		waitJS(t, ctx, "sorted by requests per minute", `document.querySelector('button[data-sort=rpm]').closest('th').getAttribute('aria-sort') === 'ascending'`, 5*time.Second)
		if !evalJS[bool](t, ctx, `document.activeElement.dataset.sort === 'rpm'`) {
			t.Errorf("sorting moved the focus away from the column's button")
		}
		do(t, ctx, "open the function with the keyboard",
			chromedp.Focus(chromedp.CSS(fmt.Sprintf(`tr[data-function=%q] a`, name))),
			chromedp.KeyEvent(kb.Enter))
		waitJS(t, ctx, "the function's page", `document.getElementById('total-requests')`, 15*time.Second)
		do(t, ctx, "switch the charts to 24h with the keyboard",
			chromedp.Focus(chromedp.CSS(`button[data-window="24h"]`)),
			chromedp.KeyEvent(" "))
		waitJS(t, ctx, "the 24h charts", `document.getElementById('latency-chart').innerText.includes('per 30 min')`, 15*time.Second)
		do(t, ctx, "back to 1h", chromedp.Click(chromedp.CSS(`button[data-window="1h"]`)))
	})

	t.Run("logout forgets the key", func(t *testing.T) {
		do(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("key")))
		if k := evalJS[string](t, ctx, `sessionStorage.getItem('lambda.key') || ''`); k != "" {
			t.Errorf("the key is still in session storage after logout")
		}
	})
}
