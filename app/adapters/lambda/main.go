// Command lambda is the function adapter, built as `bootstrap` for the
// provided.al2023 runtime: each Function URL or HTTP API (payload v2) event
// becomes a request to the app's http.Handler, and its response goes back
// buffered (see package functionurl for the mapping).
package main

import (
	"context"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/internal/pgstore"
	"github.com/computeladder/computeladder/app/adapters/lambda/functionurl"
)

func main() {
	// The handler is built before the first event: this is the function's
	// init phase, which a cold start pays for.
	started := time.Now()
	// The pool opens here, in init: each execution environment has its own.
	orders, _, err := pgstore.FromEnv(context.Background())
	if err != nil {
		log.Fatalf("computeladder-lambda: %v", err) // an init error, as Lambda reports it
	}
	h := app.New(app.Config{Platform: app.PlatformLambda, Started: started, Orders: orders})
	lambda.Start(functionurl.Handler(h))
}
