package httpserve

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestWithTTL(t *testing.T) {
	ctx, cancel, d, err := WithTTL(context.Background(), "")
	defer cancel()
	if err != nil || d != 0 || ctx.Done() != nil {
		t.Errorf("unset: %v, %s, done channel %v: want the context as it was", err, d, ctx.Done())
	}
	ctx, cancel, d, err = WithTTL(context.Background(), "20ms")
	defer cancel()
	if err != nil || d != 20*time.Millisecond {
		t.Fatalf("20ms: %s, %v", d, err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context did not end at its time-to-live")
	}
	for _, bad := range []string{"soon", "-1m", "0s"} {
		if _, _, _, err := WithTTL(context.Background(), bad); err == nil || !strings.Contains(err.Error(), TTLEnv) {
			t.Errorf("%q: %v, want an error naming %s", bad, err, TTLEnv)
		}
	}
}
