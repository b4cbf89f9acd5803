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

// state is the deployment's private part: what the latest cold start
// showed. A deployment read back from a report has none.
type state struct {
	mu sync.Mutex
	// awaiting is true from a ForceColdStart until the next request
	// answers: that request is the cold one.
	awaiting bool
	// coldID is the request id of the cold request; coldReport its REPORT
	// when it came through Invoke (whose log tail carries it).
	coldID     string
	coldReport *Report
	// coldSince is when the configuration change took effect, by AWS's
	// clock (the function's LastModified): the log search starts there.
	coldSince time.Time
}

// sawRequest records the request id of a response; the first after a
// forced cold start is the cold request's.
func (s *state) sawRequest(id string, r *Report) {
	if s == nil || id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.awaiting {
		s.awaiting, s.coldID, s.coldReport = false, id, r
	}
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
	if inv.HasReport {
		r := inv.Report
		stateOf(d).sawRequest(r.RequestID, &r)
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
	cur, err := dp.waitUpdated(ctx, d.ID)
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
	updated, err := dp.waitUpdated(ctx, d.ID)
	if err != nil {
		return fmt.Errorf("awslambda: force cold start: %w", err)
	}
	if s := stateOf(d); s != nil {
		s.mu.Lock()
		s.awaiting, s.coldID, s.coldReport = true, "", nil
		s.coldSince, _ = time.Parse(lastModifiedLayout, aws.ToString(updated.LastModified))
		s.mu.Unlock()
	}
	return nil
}

// lastModifiedLayout is how Lambda writes a function's LastModified
// (ISO 8601, e.g. 2026-11-30T06:15:42.123+0000).
const lastModifiedLayout = "2006-01-02T15:04:05.999-0700"

// logWait bounds LastInitDuration's wait for the REPORT line in CloudWatch
// Logs, which arrives seconds after the invocation.
const logWait = 30 * time.Second

// logSlack widens the log search before the configuration change: log
// events carry the time Lambda wrote them, not a time this machine saw.
const logSlack = time.Minute

// LastInitDuration returns the Init Duration of the cold request: the first
// request after the latest ForceColdStart, found by its request id — in
// Invoke's log tail when it came through Invoke, else (it came through the
// Function URL, via Transport) in the REPORT line of that id in the
// function's log group. False when there was no such request, when it ran
// no init (it was not cold), or when the line did not arrive in time.
func (dp *Deployer) LastInitDuration(ctx context.Context, d *deployers.Deployment) (time.Duration, bool) {
	s := stateOf(d)
	if s == nil {
		return 0, false
	}
	s.mu.Lock()
	id, report, since := s.coldID, s.coldReport, s.coldSince
	s.mu.Unlock()
	if report != nil {
		return report.InitDuration, report.Cold()
	}
	if id == "" {
		return 0, false
	}
	r, ok := dp.reportOf(ctx, d.ID, id, since)
	return r.InitDuration, ok && r.Cold()
}

// reportOf polls the function's log group for the REPORT line of request
// id, reading every page of each search (FilterLogEvents may return a
// page without events and a NextToken while it scans on). The search
// starts a minute before since (AWS's clock; none when unknown), never at
// a time of this machine's clock.
func (dp *Deployer) reportOf(ctx context.Context, name, id string, since time.Time) (Report, bool) {
	group := LogGroupName(name)
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: &group,
		// A quoted term matches the phrase exactly, hyphens included.
		FilterPattern: aws.String(`"REPORT RequestId: ` + id + `"`),
	}
	if !since.IsZero() {
		in.StartTime = aws.Int64(since.Add(-logSlack).UnixMilli())
	}
	var found Report
	err := deployers.Poll(ctx, time.Second, logWait, func(ctx context.Context) (bool, error) {
		p := cloudwatchlogs.NewFilterLogEventsPaginator(dp.logs, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if notFound(err) {
				return false, err
			}
			if err != nil {
				return false, nil // try the whole search again after the pause
			}
			for _, e := range page.Events {
				if r, ok := ParseReport(aws.ToString(e.Message)); ok && r.RequestID == id {
					found = r
					return true, nil
				}
			}
		}
		return false, nil
	})
	return found, err == nil
}
