package runcache

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// builder counts builds and can be told to fail.
type builder struct {
	n    atomic.Int64
	fail atomic.Bool
	wait time.Duration
}

func (b *builder) build(ctx context.Context, ref string) (string, error) {
	b.n.Add(1)
	time.Sleep(b.wait)
	if b.fail.Load() {
		return "", errors.New("build failed")
	}
	return "id-of-" + ref, nil
}

func TestKeptRunBuildsOncePerDigest(t *testing.T) {
	var c Cache
	var b builder
	b.wait = 20 * time.Millisecond
	c.Keep("run")
	// Concurrent deployments of one run wait for the one build.
	var wg sync.WaitGroup
	results := make([]bool, 5)
	for i := range results {
		wg.Go(func() {
			id, reused, err := c.Get(context.Background(), "run", "d1", "img:run-d1", b.build)
			if err != nil || id != "id-of-img:run-d1" {
				t.Errorf("get: %q, %v", id, err)
			}
			results[i] = reused
		})
	}
	wg.Wait()
	reusedN := 0
	for _, r := range results {
		if r {
			reusedN++
		}
	}
	if b.n.Load() != 1 || reusedN != 4 {
		t.Errorf("%d builds, reused %v: want one build, the other four reused", b.n.Load(), results)
	}
	// Another input is another image.
	if _, reused, err := c.Get(context.Background(), "run", "d2", "img:run-d2", b.build); err != nil || reused || b.n.Load() != 2 {
		t.Errorf("a second digest: reused %v, %v, %d builds", reused, err, b.n.Load())
	}
	refs, err := c.Release(context.Background(), "run")
	if err != nil || !slices.Equal(refs, []string{"img:run-d1", "img:run-d2"}) {
		t.Errorf("release: %v, %v", refs, err)
	}
	if c.Kept("run") {
		t.Error("still kept after Release")
	}
}

func TestUnkeptRunBuildsEveryTime(t *testing.T) {
	var c Cache
	var b builder
	for range 3 {
		if _, reused, err := c.Get(context.Background(), "run", "d", "img", b.build); err != nil || reused {
			t.Fatalf("reused %v, %v", reused, err)
		}
	}
	if b.n.Load() != 3 {
		t.Errorf("%d builds, want 3: an unkept run's caller owns each image", b.n.Load())
	}
	if refs, _ := c.Release(context.Background(), "run"); len(refs) != 0 {
		t.Errorf("release of an unkept run returned %v", refs)
	}
}

// A failed build is not cached, but its reference is released: it may have
// tagged an image all the same.
func TestFailedBuildRetriedAndReleased(t *testing.T) {
	var c Cache
	var b builder
	c.Keep("run")
	b.fail.Store(true)
	if _, _, err := c.Get(context.Background(), "run", "d", "img:a", b.build); err == nil {
		t.Fatal("a failed build reported no error")
	}
	b.fail.Store(false)
	if id, reused, err := c.Get(context.Background(), "run", "d", "img:b", b.build); err != nil || reused || id != "id-of-img:b" {
		t.Fatalf("after a failure: %q, reused %v, %v; want a new build", id, reused, err)
	}
	refs, _ := c.Release(context.Background(), "run")
	if !slices.Equal(refs, []string{"img:a", "img:b"}) {
		t.Errorf("release = %v, want both references", refs)
	}
}

func TestDigest(t *testing.T) {
	if Digest([]byte("ab"), []byte("c")) == Digest([]byte("a"), []byte("bc")) {
		t.Error("parts split differently must differ")
	}
	if Digest([]byte("x")) != Digest([]byte("x")) || len(Digest()) != 64 {
		t.Error("digest not stable or not sha256 hex")
	}
}
