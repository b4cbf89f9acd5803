package localfriction

// Claim names: one per difference the lab shows, and one for the
// behaviour table the project runs against every deployment.
const (
	ClaimReportInit        = "report-init-duration-is-not-the-init"
	ClaimReportDuration    = "report-duration-includes-the-init"
	ClaimMaxMemory         = "max-memory-used-is-not-measured"
	ClaimMemoryLimit       = "memory-size-is-a-container-limit"
	ClaimNoIAM             = "gateway-accepts-unsigned-requests"
	ClaimEventShape        = "gateway-event-lacks-platform-fields"
	ClaimRealPayloads      = "adapter-serves-real-payloads"
	ClaimFunctionError     = "emulator-function-error-is-http-200"
	ClaimTimeout           = "emulator-timeout-is-http-200"
	ClaimEmulatorOneInvoke = "emulator-fails-concurrent-invokes"
	ClaimGatewayScales     = "gateway-one-request-per-environment"
	ClaimNoFreeze          = "environment-not-frozen-between-invokes"
	ClaimBehaviourTable    = "behaviour-table-passes-on-the-gateway"
)

// ReadOn is when the AWS documentation the rows cite was read.
const ReadOn = "2026-11-30"

// Row is one difference between the local function backend and Lambda:
// what Lambda does (and where AWS says so), what the project does about
// it, and the command a student runs to see it. What this run saw is the
// claim of the same name.
type Row struct {
	Claim   string   `json:"claim"`
	Topic   string   `json:"topic"`
	Lambda  string   `json:"lambda"`
	Sources []string `json:"sources"`
	Project string   `json:"project"`
	// Try is a command to run beside `computeladder up lambda --run-id
	// friction` ($URL is the gateway URL it prints, $ENV an environment's
	// container, $RIE that environment's emulator endpoint, $JOB a job
	// event: see the lab's guide).
	Try string `json:"try"`
}

const (
	srcLogs        = "https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html (Duration excludes INIT code; Max Memory Used; read " + ReadOn + ")"
	srcLifecycle   = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html (Lambda freezes the environment when the runtime has completed and no events are pending; it resets an environment whose invoke crashed or timed out; read " + ReadOn + ")"
	srcURLs        = "https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html (AWS_IAM: every request must be signed with SigV4; the request payload format; read " + ReadOn + ")"
	srcURLAuth     = "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html (AuthType AWS_IAM or NONE; read " + ReadOn + ")"
	src403         = "https://zirkelc.dev/posts/aws-lambda-function-url-iam-cloudfront (an unsigned request to an AWS_IAM URL gets 403 Forbidden; read " + ReadOn + ")"
	srcInvokeAPI   = "https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (a function error still answers 200, with the X-Amz-Function-Error header; read " + ReadOn + ")"
	srcConcurrency = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html (one execution environment per concurrent request; a busy environment cannot take another; read " + ReadOn + ")"
	srcMemory      = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (memory 128 MB to 10,240 MB; CPU in proportion to it; read " + ReadOn + ")"
)

// Rows is the lab's table, in the order the run judges the claims.
var Rows = []Row{
	{
		Claim: ClaimBehaviourTable, Topic: "Same app everywhere",
		Lambda:  "The function behind a real Function URL answers the app's requests.",
		Project: "The behaviour table (app/apptest) runs in process (`go test ./app`), through the Lambda adapter with real-shaped Function URL and HTTP API v2 payloads (`go test ./app/adapters/lambda`), and against every deployment (the ladder lab's check; here against the local gateway).",
		Try:     "go test ./app/... ./app/adapters/lambda/...",
	},
	{
		Claim: ClaimReportInit, Topic: "REPORT Init Duration",
		Lambda:  "The REPORT line's Init Duration is the init phase: Go on provided.al2023 takes tens of milliseconds.",
		Sources: []string{srcLogs},
		Project: "The rie deployer reports the emulator's INIT REPORT(durationMs) as Init Duration and keeps the REPORT figure only for this cross-check (deployers/rie LogFacts).",
		Try:     "docker logs $ENV 2>&1 | grep -E 'INIT REPORT|^REPORT'",
	},
	{
		Claim: ClaimReportDuration, Topic: "REPORT Duration",
		Lambda:  "Duration is the handler's time, excluding INIT code; init is reported apart.",
		Sources: []string{srcLogs},
		Project: "Warm latency is measured by the harness from outside (open-loop load), never from REPORT lines; a cold start is split into the environment's start, INIT REPORT and the first invoke.",
		Try:     "docker logs $ENV 2>&1 | grep -m1 '^REPORT'",
	},
	{
		Claim: ClaimMaxMemory, Topic: "Max Memory Used",
		Lambda:  "Max Memory Used is the memory the function used, beside the Memory Size it may use.",
		Sources: []string{srcLogs},
		Project: "Read the container's own figure instead (`docker stats`); this lab puts it beside the REPORT line.",
		Try:     "docker stats --no-stream $ENV; docker logs $ENV 2>&1 | grep -c 'Max Memory Used: 128 MB'",
	},
	{
		Claim: ClaimMemoryLimit, Topic: "Memory size",
		Lambda:  "The memory setting caps the function's memory and sets its CPU share.",
		Sources: []string{srcMemory},
		Project: "The emulator only prints AWS_LAMBDA_FUNCTION_MEMORY_SIZE back; the rie deployer makes the setting real: the container's memory limit (no swap) is the memory size, its CPU share memory/1,769 vCPU.",
		Try:     "docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' $ENV",
	},
	{
		Claim: ClaimNoIAM, Topic: "Authentication",
		Lambda:  "An AWS_IAM Function URL answers only SigV4-signed requests of an allowed principal: an unsigned one gets 403.",
		Sources: []string{srcURLs, srcURLAuth, src403},
		Project: "The local gateway checks nothing (it listens on 127.0.0.1 only). On AWS the awslambda deployer creates AWS_IAM URLs unless --public-url, and the harness signs every request (awsenv.SigV4Transport): the ladder lab on AWS (`make lab-lambda TARGET=aws`) sends every request signed; this lab runs only locally.",
		Try:     "curl -s -o /dev/null -w '%{http_code}\\n' $URL/whoami",
	},
	{
		Claim: ClaimEventShape, Topic: "Event shape",
		Lambda:  "A Function URL sends a payload 2.0 event with headers and context the platform adds (x-forwarded-*, x-amzn-trace-id, domainPrefix, the caller's IAM identity under authorizer for AWS_IAM).",
		Sources: []string{srcURLs},
		Project: "The gateway builds payload 2.0 from the HTTP request (deployers/rie/internal/frontend) with what the adapter reads; the adapter is tested on real-shaped fixtures (app/adapters/lambda/testdata) that carry the platform's fields.",
		Try:     "jq .events.shape results/<run-id>/local-friction.json",
	},
	{
		Claim: ClaimRealPayloads, Topic: "Real payloads",
		Lambda:  "The function receives the platform's event, not an HTTP request.",
		Sources: []string{srcURLs},
		Project: "The real-shaped fixtures are posted straight to the emulator, bypassing the gateway: the adapter must serve them as it serves the gateway's events.",
		Try:     "curl -s -d @app/adapters/lambda/testdata/function-url-get-query-cookies.json $RIE",
	},
	{
		Claim: ClaimFunctionError, Topic: "Function errors",
		Lambda:  "Invoke answers a function error with 200 and the X-Amz-Function-Error header (Handled, or Unhandled for a crash or timeout); a Function URL client gets an error status, not the error payload.",
		Sources: []string{srcInvokeAPI},
		Project: "The emulator drops the header, so the gateway recognises an error payload by its shape and answers 502 (the status the project chose for every function error; see deployers/rie).",
		Try:     "curl -si -d '{}' $RIE",
	},
	{
		Claim: ClaimTimeout, Topic: "Timeout",
		Lambda:  "At the timeout Lambda stops the invocation ('Task timed out after N seconds'), reports an error and resets the environment.",
		Sources: []string{srcLifecycle},
		Project: "The emulator answers a timed-out invoke with HTTP 200 and the message as its body; the gateway turns it into 502 (Sandbox.Timedout) and retires the environment.",
		Try:     "curl -si -d \"$JOB\" $RIE; curl -s -H 'content-type: application/json' -d '{\"seconds\":4}' $URL/jobs",
	},
	{
		Claim: ClaimEmulatorOneInvoke, Topic: "Concurrency (emulator)",
		Lambda:  "Each concurrent request gets an execution environment of its own; one environment never sees two at once.",
		Sources: []string{srcConcurrency},
		Project: "The emulator is one environment and fails a second concurrent invoke; the gateway never sends one (see the next row).",
		Try:     "for i in 1 2; do curl -sS -d \"$JOB\" $RIE & done; wait; docker logs $ENV 2>&1 | grep -A2 panic",
	},
	{
		Claim: ClaimGatewayScales, Topic: "Concurrency (gateway)",
		Lambda:  "A request that finds every environment busy starts a new one (a cold start), up to the concurrency limit, then 429.",
		Sources: []string{srcConcurrency},
		Project: "The gateway gives each environment one request at a time and starts a new container for the next, up to --max-concurrency, then 429.",
		Try:     "for i in 1 2; do curl -s -o /dev/null -w '%{http_code}\\n' -H 'content-type: application/json' -d '{\"seconds\":1}' $URL/jobs & done; wait; docker ps --filter label=computeladder.run-id=friction",
	},
	{
		Claim: ClaimNoFreeze, Topic: "Freeze between invokes",
		Lambda:  "Between invokes the environment is frozen: no background work runs until the next invoke thaws it.",
		Sources: []string{srcLifecycle},
		Project: "Locally nothing freezes: the container keeps running between invokes. The app does no work after its response, so nothing it measures depends on it; code that does (background goroutines, flushes after the response) behaves differently on Lambda.",
		Try:     "docker inspect -f '{{.State.Status}} paused={{.State.Paused}}' $ENV",
	},
}

// Setup is what the rows' Try commands need, in a second terminal after
// `computeladder up lambda --run-id friction` printed the gateway URL.
const Setup = "In one terminal: `go run ./harness/cmd/computeladder up lambda --run-id friction` (a 3 s timeout, 128 MB); in another:\n\n" +
	"```sh\n" +
	"URL=http://127.0.0.1:PORT    # the URL it printed\n" +
	"ENV=$(docker ps -q -n 1 --filter label=computeladder.run-id=friction)\n" +
	"RIE=http://$(docker port $ENV 8080)/2015-03-31/functions/function/invocations\n" +
	"JOB='{\"version\":\"2.0\",\"rawPath\":\"/jobs\",\"headers\":{\"host\":\"localhost\",\"content-type\":\"application/json\"},\"requestContext\":{\"http\":{\"method\":\"POST\"}},\"body\":\"{\\\"seconds\\\":4}\"}'\n" +
	"```\n\n"
