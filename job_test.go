package lambda

import (
	"reflect"
	"testing"
	"time"
)

// A clone shares no memory with its job: a store may keep one while the
// caller changes the other.
func TestJobClone(t *testing.T) {
	now := time.Now()
	j := &Job{
		ID: "a", Payload: []byte(`{}`), Response: []byte("ok"), StartedAt: &now, FinishedAt: &now,
		History: []JobAttempt{{Attempt: 1}}, Destination: &DestinationDelivery{},
	}
	c := j.Clone()
	if !reflect.DeepEqual(j, c) {
		t.Fatalf("clone %+v differs from %+v", c, j)
	}
	c.Payload[0], c.Response[0], c.History[0].Attempt = 'x', 'x', 2
	*c.StartedAt, *c.FinishedAt = now.Add(time.Hour), now.Add(time.Hour)
	if string(j.Payload) != `{}` || string(j.Response) != "ok" || j.History[0].Attempt != 1 || !j.StartedAt.Equal(now) || !j.FinishedAt.Equal(now) || j.Destination == c.Destination {
		t.Errorf("changing the clone changed the job: %+v", j)
	}
}
