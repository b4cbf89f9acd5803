package rie

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// InspectEnvironment refuses what is not a live environment of this
// deployer's deployment, before asking the engine anything.
func TestInspectEnvironmentErrors(t *testing.T) {
	dp := &Deployer{}
	if _, err := dp.InspectEnvironment(context.Background(), nil, "e1"); err == nil || !strings.Contains(err.Error(), "no deployment") {
		t.Errorf("nil deployment: %v", err)
	}
	if _, err := dp.InspectEnvironment(context.Background(), &deployers.Deployment{ID: "x"}, "e1"); err == nil || !strings.Contains(err.Error(), "not made by the rie deployer") {
		t.Errorf("foreign deployment: %v", err)
	}
	d := &deployers.Deployment{ID: "x", State: &gateway{envs: []*env{{name: "e1", id: "c1", retired: time.Unix(1, 0)}}}}
	if _, err := dp.InspectEnvironment(context.Background(), d, "e1"); err == nil || !strings.Contains(err.Error(), "not a live environment") {
		t.Errorf("retired environment: %v", err)
	}
}

// Event is the gateway's own payload 2.0 event for a request.
func TestEvent(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/whoami?a=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Event(r)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Version string `json:"version"`
		RawPath string `json:"rawPath"`
	}
	if err := json.Unmarshal(b, &ev); err != nil || ev.Version != "2.0" || ev.RawPath != "/whoami" {
		t.Errorf("event %s (%v): want version 2.0 for /whoami", b, err)
	}
}
