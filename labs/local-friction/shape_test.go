package localfriction

import (
	"slices"
	"testing"
)

func TestCompareShapes(t *testing.T) {
	real := []byte(`{"version":"2.0","rawPath":"/a","headers":{"host":"h","x-forwarded-for":"1.2.3.4"},"cookies":["a=1"],"requestContext":{"domainPrefix":"p","http":{"method":"GET"}}}`)
	local := []byte(`{"version":"2.0","rawPath":"/a","headers":{"host":"h"},"requestContext":{"http":{"method":"GET"},"extra":1}}`)
	s, err := compareShapes(real, local)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cookies", "headers.x-forwarded-for", "requestContext.domainPrefix"}; !slices.Equal(s.Missing, want) {
		t.Errorf("missing %v, want %v", s.Missing, want)
	}
	if want := []string{"requestContext.extra"}; !slices.Equal(s.Extra, want) {
		t.Errorf("extra %v, want %v", s.Extra, want)
	}
	if want := []string{"rawPath", "headers", "headers.host", "requestContext.http.method"}; !slices.Equal(s.Read, want) || s.Version != "2.0" {
		t.Errorf("read %v version %q, want %v 2.0", s.Read, s.Version, want)
	}
	if _, err := compareShapes([]byte("{"), local); err == nil {
		t.Error("a broken real event: no error")
	}
	if _, err := compareShapes(real, []byte("[")); err == nil {
		t.Error("a broken local event: no error")
	}
}
