package awslambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/computeladder/computeladder/deployers"
)

// state is the deployment's private part: what the latest invocations and
// cold starts showed. A deployment read back from a report has none.
type state struct {
	mu     sync.Mutex
	last   *Report   // REPORT of the latest Invoke
	lastAt time.Time // when that Invoke returned
	coldAt time.Time // when the latest forced cold start finished
}

func stateOf(d *deployers.Deployment) *state {
	if d == nil {
		return nil
	}
	s, _ := d.State.(*state)
	return s
}

// Invocation is the result of one synchronous Invoke.
type Invocation struct {
	StatusCode    int32
	FunctionError string // "Unhandled" etc. when the function failed
	Payload       []byte
	// Log is the decoded log tail (the last 4 KB of the invocation's log).
	Log string
	// Report is the tail's REPORT line; HasReport is false when it had none.
	Report    Report
	HasReport bool
}

// Invoke calls the function synchronously with LogType=Tail and returns its
// answer with the REPORT line's figures, which it also keeps for
// LastInitDuration. URLEvent builds a payload that the app's Function URL
// adapter understands.
func (dp *Deployer) Invoke(ctx context.Context, d *deployers.Deployment, payload []byte) (Invocation, error) {
	if d == nil || d.ID == "" {
		return Invocation{}, errors.New("awslambda: invoke: no deployment: deploy first")
	}
	out, err := dp.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   &d.ID,
		InvocationType: types.InvocationTypeRequestResponse,
		LogType:        types.LogTypeTail,
		Payload:        payload,
	})
	if err != nil {
		return Invocation{}, fmt.Errorf("awslambda: invoke %s: %w", d.ID, err)
	}
	inv := Invocation{StatusCode: out.StatusCode, FunctionError: aws.ToString(out.FunctionError), Payload: out.Payload}
	if out.LogResult != nil {
		b, err := base64.StdEncoding.DecodeString(*out.LogResult)
		if err != nil {
			return inv, fmt.Errorf("awslambda: invoke %s: log tail: %w", d.ID, err)
		}
		inv.Log = string(b)
		inv.Report, inv.HasReport = ParseReport(inv.Log)
	}
	if s := stateOf(d); s != nil && inv.HasReport {
		s.mu.Lock()
		r := inv.Report
		s.last, s.lastAt = &r, time.Now()
		s.mu.Unlock()
	}
	return inv, nil
}

// URLEvent returns a Function URL event (payload format 2.0) for a request
// without a body, as Lambda would build it for method and path.
func URLEvent(method, path string) []byte {
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       "$default",
		"rawPath":        path,
		"rawQueryString": "",
		"headers":        map[string]string{"host": "invoke.local"},
		"requestContext": map[string]any{
			"http":      map[string]string{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
			"requestId": "computeladder-invoke",
			"timeEpoch": time.Now().UnixMilli(),
		},
		"isBase64Encoded": false,
	}
	b, _ := json.Marshal(ev) // a map of strings cannot fail to marshal
	return b
}

// ForceColdStart changes an environment variable of the function and waits
// until Lambda reports the update Successful: from then on Lambda serves
// requests from new execution environments only (the lambda-perf method).
func (dp *Deployer) ForceColdStart(ctx context.Context, d *deployers.Deployment) error {
	if d == nil || d.ID == "" {
		return errors.New("awslambda: force cold start: no deployment: deploy first")
	}
	// An update still in progress would make this one fail with a conflict.
	cur, err := dp.waitUpdated(ctx, d.ID, false)
	if err != nil {
		return fmt.Errorf("awslambda: force cold start: %w", err)
	}
	env := map[string]string{}
	if cur.Environment != nil {
		for k, v := range cur.Environment.Variables {
			env[k] = v
		}
	}
	env[ColdStartEnv] = strconv.FormatInt(time.Now().UnixNano(), 10)
	if _, err := dp.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: &d.ID,
		Environment:  &types.Environment{Variables: env},
	}); err != nil {
		return fmt.Errorf("awslambda: force cold start: update configuration of %s: %w", d.ID, err)
	}
	if _, err := dp.waitUpdated(ctx, d.ID, false); err != nil {
		return fmt.Errorf("awslambda: force cold start: %w", err)
	}
	if s := stateOf(d); s != nil {
		s.mu.Lock()
		s.coldAt = time.Now()
		s.mu.Unlock()
	}
	return nil
}

// logWait bounds LastInitDuration's wait for the REPORT line in CloudWatch
// Logs, which arrives seconds after the invocation.
const logWait = 20 * time.Second

// LastInitDuration returns the Init Duration of the cold start that
// followed the latest ForceColdStart: from the latest Invoke's REPORT when
// that was the cold one, otherwise (the request came through the Function
// URL) from the function's log group. False when neither shows one.
func (dp *Deployer) LastInitDuration(ctx context.Context, d *deployers.Deployment) (time.Duration, bool) {
	s := stateOf(d)
	if s == nil {
		return 0, false
	}
	s.mu.Lock()
	last, lastAt, coldAt := s.last, s.lastAt, s.coldAt
	s.mu.Unlock()
	if last != nil && last.Cold() && !lastAt.Before(coldAt) {
		return last.InitDuration, true
	}
	if coldAt.IsZero() {
		return 0, false
	}
	r, ok := dp.initFromLogs(ctx, d.ID, coldAt)
	return r.InitDuration, ok
}

// initFromLogs polls the log group for a REPORT line with an Init Duration
// written after since.
func (dp *Deployer) initFromLogs(ctx context.Context, name string, since time.Time) (Report, bool) {
	ctx, cancel := context.WithTimeout(ctx, logWait)
	defer cancel()
	group := LogGroupName(name)
	for {
		out, err := dp.logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName:  &group,
			FilterPattern: aws.String(`"Init Duration"`),
			StartTime:     aws.Int64(since.UnixMilli()),
		})
		if err == nil {
			for i := len(out.Events) - 1; i >= 0; i-- {
				if r, ok := ParseReport(aws.ToString(out.Events[i].Message)); ok && r.Cold() {
					return r, true
				}
			}
		} else if notFound(err) {
			return Report{}, false
		}
		select {
		case <-ctx.Done():
			return Report{}, false
		case <-time.After(time.Second):
		}
	}
}
