package sqlite

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestHookStore(t *testing.T) {
	ctx := context.Background()
	s := NewHookStore(openTestDB(t))
	h := &lambda.Hook{ID: "hk_1", Project: "shop", Repository: "https://example.com/shop.git", Branch: "main", Subdir: "app", CreatedAt: t0}
	if err := s.CreateHook(ctx, h, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	checkErr(t, s.CreateHook(ctx, h, []byte{1}), lambda.ECONFLICT, "exists")
	got, sealed, err := s.FindHook(ctx, "hk_1")
	if err != nil || !bytes.Equal(sealed, []byte{1, 2, 3}) || *got != *h {
		t.Fatalf("FindHook = %+v, %v, %v", got, sealed, err)
	}
	_, _, err = s.FindHook(ctx, "hk_2")
	checkErr(t, err, lambda.ENOTFOUND, `hook "hk_2" not found`)

	// Concurrent deliveries of one ID: one is added, the others get it.
	var wg sync.WaitGroup
	added := make(chan bool, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &lambda.HookDelivery{ID: "d1", Hook: "hk_1", DeployID: "dep_" + string(rune('a'+i)), Ref: "refs/heads/main", Commit: "c1", Status: lambda.DeliveryDeploying, ReceivedAt: t0}
			got, ok, err := s.AddDelivery(ctx, d)
			if err != nil || got.ID != "d1" {
				t.Errorf("AddDelivery = %+v, %v", got, err)
			}
			added <- ok
		}()
	}
	wg.Wait()
	close(added)
	n := 0
	for ok := range added {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d deliveries of one ID added, want 1", n)
	}
	d2 := &lambda.HookDelivery{ID: "d2", Hook: "hk_1", DeployID: "dep_z", Ref: "refs/heads/main", Commit: "c2", Status: lambda.DeliveryDeploying, ReceivedAt: t0.Add(1)}
	if _, ok, err := s.AddDelivery(ctx, d2); !ok || err != nil {
		t.Fatalf("AddDelivery(d2) = %v, %v", ok, err)
	}
	if err := s.FinishDelivery(ctx, "hk_1", "d2", lambda.DeliveryFailed, "build failed"); err != nil {
		t.Fatal(err)
	}
	hooks, err := s.ListHooks(ctx)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("ListHooks = %v, %v", hooks, err)
	}
	last := hooks[0].Last
	if last == nil || last.ID != "d2" || last.Commit != "c2" || last.Status != lambda.DeliveryFailed || last.Error != "build failed" || last.FinishedAt == nil {
		t.Fatalf("last delivery = %+v", last)
	}
	_, _, err = s.AddDelivery(ctx, &lambda.HookDelivery{ID: "d", Hook: "hk_9", ReceivedAt: t0})
	checkErr(t, err, lambda.ENOTFOUND, "hk_9")

	if err := s.DeleteHook(ctx, "hk_1"); err != nil {
		t.Fatal(err)
	}
	checkErr(t, s.DeleteHook(ctx, "hk_1"), lambda.ENOTFOUND, "")
	if hooks, _ := s.ListHooks(ctx); len(hooks) != 0 {
		t.Fatalf("hooks after delete: %v", hooks)
	}
}
