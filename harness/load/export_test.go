package load

// WithNetHTTP returns opts with plain-http requests sent through net/http
// instead of the wire transport: the fidelity benchmark's net/http arm.
func WithNetHTTP(opts Options) Options {
	opts.netHTTP = true
	return opts
}
