package lambda

import (
	"context"
	"strings"
	"testing"
)

func TestParseTraceParent(t *testing.T) {
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name, in string
		ok       bool
		want     string // String() of the result
	}{
		{"valid sampled", valid, true, valid},
		{"valid not sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
		{"unknown flags are not forwarded", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", true, valid},
		{"future version, same layout", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, valid},
		{"future version with more fields", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", true, valid},
		{"future version, no dash after flags", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false, ""},
		{"version 00 with more", valid + "-00", false, ""},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, ""},
		{"empty", "", false, ""},
		{"short", valid[:54], false, ""},
		{"uppercase trace ID", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, ""},
		{"uppercase version", "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, ""},
		{"zero trace ID", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, ""},
		{"zero parent ID", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, ""},
		{"bad separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, ""},
		{"non-hex parent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", false, ""},
		{"non-hex flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", false, ""},
		{"spaces", " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, ""},
		{"two joined", valid + "," + valid, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseTraceParent(tt.in)
			if ok != tt.ok {
				t.Fatalf("ParseTraceParent(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if !ok {
				if got != (TraceContext{}) {
					t.Errorf("invalid input gave %+v, want the zero context", got)
				}
				return
			}
			if s := got.String(); s != tt.want {
				t.Errorf("String() = %q, want %q", s, tt.want)
			}
		})
	}
}

func TestTraceContextChild(t *testing.T) {
	parent, _ := ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	c := parent.Child()
	if c.TraceID != parent.TraceID || c.Flags != parent.Flags {
		t.Errorf("child %v does not continue %v's trace and flags", c, parent)
	}
	if c.ParentID == parent.ParentID || !c.Valid() {
		t.Errorf("child %v has no new parent ID", c)
	}
	seen := map[string]bool{}
	for range 1000 {
		n := (TraceContext{}).Child()
		if !n.Valid() || n.Flags != TraceFlagSampled {
			t.Fatalf("new trace %v: not valid and sampled", n)
		}
		if _, ok := ParseTraceParent(n.String()); !ok {
			t.Fatalf("new trace %q does not parse", n.String())
		}
		if seen[n.TraceIDString()] {
			t.Fatalf("trace ID %s twice in 1000", n.TraceIDString())
		}
		seen[n.TraceIDString()] = true
	}
}

func TestTraceOfRequestID(t *testing.T) {
	id := NewRequestID()
	tc, ok := TraceOfRequestID(id)
	if !ok || tc.TraceIDString() != strings.ReplaceAll(id, "-", "") {
		t.Fatalf("TraceOfRequestID(%q) = %s, %v", id, tc.TraceIDString(), ok)
	}
	if tc.ParentID != [8]byte{} || tc.Child().TraceID != tc.TraceID {
		t.Errorf("a request ID's trace %v must have no parent and keep its ID in a child", tc)
	}
	for _, bad := range []string{"", "job-1", "00000000-0000-0000-0000-000000000000", strings.ToUpper(id), id + "x"} {
		if _, ok := TraceOfRequestID(bad); ok {
			t.Errorf("TraceOfRequestID(%q) ok", bad)
		}
	}
}

func TestWithInvocation(t *testing.T) {
	inv := &Invocation{ID: "inv-1", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	ctx := WithInvocation(context.Background(), inv)
	if InvocationIDFrom(ctx) != "inv-1" || TraceIDFrom(ctx) != inv.TraceID {
		t.Errorf("from ctx: %q, %q", InvocationIDFrom(ctx), TraceIDFrom(ctx))
	}
	ctx = WithInvocationID(context.Background(), "inv-2")
	if InvocationIDFrom(ctx) != "inv-2" || TraceIDFrom(ctx) != "" {
		t.Errorf("from ctx: %q, %q", InvocationIDFrom(ctx), TraceIDFrom(ctx))
	}
}

// FuzzParseTraceParent: a traceparent is a client's header. Whatever it
// holds, parsing never panics, and what it accepts is valid and formats
// back to a version-00 value that parses to the same context.
func FuzzParseTraceParent(f *testing.F) {
	for _, s := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"", "00", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tc, ok := ParseTraceParent(s)
		if !ok {
			return
		}
		if !tc.Valid() {
			t.Fatalf("accepted %q as %+v, which is not valid", s, tc)
		}
		out := tc.String()
		if len(out) != TraceParentLen || out[:3] != "00-" || s[3:52] != out[3:52] {
			t.Fatalf("%q formats as %q", s, out)
		}
		back, ok := ParseTraceParent(out)
		if !ok || back.TraceID != tc.TraceID || back.ParentID != tc.ParentID || back.Flags != tc.Flags&TraceFlagSampled {
			t.Fatalf("%q → %q → %+v, %v", s, out, back, ok)
		}
	})
}
