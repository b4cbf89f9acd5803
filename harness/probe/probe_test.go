package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/app"
)

func TestWhoami(t *testing.T) {
	srv := httptest.NewServer(app.New(app.Config{Platform: "container", InstanceID: "i-1"}))
	t.Cleanup(srv.Close)
	r, err := Whoami(context.Background(), srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || r.Who.InstanceID != "i-1" || !r.Who.Cold || r.Who.RequestsServed != 1 || r.Latency <= 0 {
		t.Fatalf("first whoami = %+v", r)
	}
	if r, _ := Whoami(context.Background(), srv.Client(), srv.URL); r.Who.Cold || r.Who.RequestsServed != 2 {
		t.Fatalf("second whoami = %+v, want warm with 2 served", r)
	}
}

func TestWhoamiErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"status", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", 502) }, "status 502: nope"},
		{"not json", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			r, err := Whoami(context.Background(), srv.Client(), srv.URL)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if r.Status == 0 {
				t.Error("the status seen must be kept beside the error")
			}
		})
	}
	if _, err := Whoami(context.Background(), http.DefaultClient, "http://127.0.0.1:1"); err == nil {
		t.Error("no error from a closed port")
	}
}
