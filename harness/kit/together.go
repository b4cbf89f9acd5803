package kit

import "sync"

// Together runs fn(0) … fn(n-1) at once, each on its own goroutine held
// at one gate until all are started, so that the platform sees n requests
// in flight together; it returns the results in order.
func Together[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i] = fn(i)
		}()
	}
	close(gate)
	wg.Wait()
	return out
}
