package ecs

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// motoFix works around a moto 5 bug: its RunTask, DescribeTasks and StopTask
// replies give a container's cpu and memory as JSON numbers where the ECS API
// (and so the SDK's deserializer) has strings. Only the tests' ECS client
// uses it; AWS needs no fix.
type motoFix struct{ base http.RoundTripper }

func (m motoFix) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := m.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		changed := false
		for _, key := range []string{"tasks", "task"} {
			var tasks []any
			switch v := doc[key].(type) {
			case []any:
				tasks = v
			case map[string]any:
				tasks = []any{v}
			}
			for _, t := range tasks {
				tm, _ := t.(map[string]any)
				cs, _ := tm["containers"].([]any)
				for _, c := range cs {
					cm, _ := c.(map[string]any)
					for _, f := range []string{"cpu", "memory", "memoryReservation"} {
						if n, ok := cm[f].(float64); ok {
							b, _ := json.Marshal(n)
							cm[f] = string(b)
							changed = true
						}
					}
				}
			}
		}
		if changed {
			body, _ = json.Marshal(doc)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// motoECS is an ECS client for moto with motoFix.
func motoECS(cfg aws.Config) *ecs.Client {
	return ecs.NewFromConfig(cfg, func(o *ecs.Options) {
		o.HTTPClient = &http.Client{Transport: motoFix{base: http.DefaultTransport}}
	})
}

// keepTasksRunning tells moto to keep an ECS task RUNNING until StopTask, as
// AWS does; by default moto moves a task on towards STOPPED at every
// DescribeTasks. It changes only the ecs::task model, which only this
// package's tests use, and is idempotent.
func keepTasksRunning(t *testing.T, cfg aws.Config) {
	t.Helper()
	body := `{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}`
	resp, err := http.Post(aws.ToString(cfg.BaseEndpoint)+"/moto-api/state-manager/set-transition", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("moto state manager: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("moto state manager: %s", resp.Status)
	}
}
