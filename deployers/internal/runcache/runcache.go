// Package runcache lets a backend prepare once per run what every
// deployment of the run shares (an image built or imported once and run
// many times), keyed by the digest of what it was prepared from. It knows
// nothing of any engine: the backend passes the build and removes what
// Release returns.
package runcache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sync"
)

// Cache builds an image once per run and hands it to every later
// deployment of that run whose build input has the same digest, as a real
// platform builds (or pushes) once and runs many times. It holds the
// images of the runs it was told to Keep; for any other run Get builds
// every time and the caller owns what it built.
//
// A kept run's images are the cache's until Release, which returns every
// reference it handed out (a build that failed half way included) for the
// caller to remove; the images carry the run id as a label, so a killed
// run's are still swept. The zero value is ready to use.
type Cache struct {
	mu   sync.Mutex
	runs map[string]map[string]*entry // run id → input digest → image
}

type entry struct {
	ref  string
	done chan struct{} // closed when the build ended
	id   string
	err  error
}

// Digest is the cache key of a build input: the sha256 of its parts (the
// build context or root file system, and whatever else shapes the image).
func Digest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		// The length first: ("ab","c") and ("a","bc") differ.
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Keep makes Get cache runID's images until Release.
func (c *Cache) Keep(runID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs == nil {
		c.runs = map[string]map[string]*entry{}
	}
	if c.runs[runID] == nil {
		c.runs[runID] = map[string]*entry{}
	}
}

// Kept reports whether runID's images are cached.
func (c *Cache) Kept(runID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[runID] != nil
}

// Get returns the image id for digest in runID: the cached one (reused is
// true), or the one build makes under ref. Concurrent calls for the same
// digest wait for one build; a failed build is not cached, and the next
// Get builds again under the same ref. For a run that is not kept, Get
// calls build every time.
func (c *Cache) Get(ctx context.Context, runID, digest, ref string, build func(ctx context.Context, ref string) (string, error)) (id string, reused bool, err error) {
	c.mu.Lock()
	images := c.runs[runID]
	if images == nil {
		c.mu.Unlock()
		id, err := build(ctx, ref)
		return id, false, err
	}
	if im := images[digest]; im != nil {
		c.mu.Unlock()
		select {
		case <-im.done:
		case <-ctx.Done():
			return "", false, ctx.Err()
		}
		if im.err == nil {
			return im.id, true, nil
		}
		// The build this call waited for failed: try again.
		return c.Get(ctx, runID, digest, ref, build)
	}
	im := &entry{ref: ref, done: make(chan struct{})}
	images[digest] = im
	c.mu.Unlock()

	im.id, im.err = build(ctx, ref)
	c.mu.Lock()
	if im.err != nil && c.runs[runID] != nil {
		// Forgotten as a result, remembered as a reference: the failed
		// build may have tagged an image all the same.
		delete(c.runs[runID], digest)
		c.runs[runID]["failed:"+ref] = &entry{ref: ref, done: im.done, err: im.err}
	}
	c.mu.Unlock()
	close(im.done)
	return im.id, false, im.err
}

// Release stops caching runID and returns the references of every image
// Get handed out or tried to build for it, sorted, for the caller to
// remove. Builds still running are waited for (ctx bounds the wait), so
// that what they tag is in the list.
func (c *Cache) Release(ctx context.Context, runID string) ([]string, error) {
	c.mu.Lock()
	images := c.runs[runID]
	delete(c.runs, runID)
	c.mu.Unlock()
	var refs []string
	var err error
	for _, im := range images {
		select {
		case <-im.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if !slices.Contains(refs, im.ref) {
			refs = append(refs, im.ref)
		}
	}
	slices.Sort(refs)
	return refs, err
}
