// Package gcf is the Google Cloud Functions adapter: it registers the app as
// an HTTP function with the Go Functions Framework, in an init as GCF
// expects. GCF's build compiles this package with a main of its own and
// serves the function named by --entry-point; cmd/ is that main for running
// it locally. There is no business logic here: moving the app to GCF took
// this directory and nothing else under app/.
package gcf

import (
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/computeladder/computeladder/app"
)

// Platform is what GET /whoami reports on an instance of this adapter.
const Platform = "gcf"

// EntryPoint names the function: `gcloud functions deploy --entry-point`
// in the cloud, FUNCTION_TARGET locally.
const EntryPoint = "Checkout"

func init() {
	// init runs once per instance, at its cold start: one app per instance,
	// as on every other platform, so /whoami's counter is per instance.
	h := app.New(app.Config{Platform: Platform, Started: time.Now()})
	functions.HTTP(EntryPoint, h.ServeHTTP)
}
