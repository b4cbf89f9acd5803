// Command lambda is the function adapter, built as `bootstrap` for the
// provided.al2023 runtime: each Function URL or HTTP API (payload v2) event
// becomes a request to the app's http.Handler, and its response goes back
// buffered (see package furl for the mapping).
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/lambda/furl"
)

func main() {
	// The handler is built before the first event: this is the function's
	// init phase, which a cold start pays for.
	h := app.New(app.Config{Platform: app.PlatformLambda, Started: time.Now()})
	lambda.Start(furl.Handler(h))
}
