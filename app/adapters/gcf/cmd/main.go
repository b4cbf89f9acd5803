// Command cmd runs the GCF adapter locally as Cloud Functions runs it: the
// Functions Framework serves the function named by $FUNCTION_TARGET
// (default Checkout) at / on $PORT (default 8080), on 127.0.0.1 only when
// LOCAL_ONLY=true.
package main

import (
	"cmp"
	"log"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/computeladder/computeladder/app/adapters/gcf"
)

func main() {
	// Without a target the framework serves each function at /<name> only,
	// which would hide the app's routes; GCF always sets one.
	if os.Getenv("FUNCTION_TARGET") == "" {
		os.Setenv("FUNCTION_TARGET", gcf.EntryPoint)
	}
	host, port := "", cmp.Or(os.Getenv("PORT"), "8080")
	if os.Getenv("LOCAL_ONLY") == "true" {
		host = "127.0.0.1"
	}
	log.Printf("serving function %s (platform %s) on %s:%s", os.Getenv("FUNCTION_TARGET"), gcf.Platform, host, port)
	if err := funcframework.StartHostPort(host, port); err != nil {
		log.Fatalf("gcf: %v (check FUNCTION_TARGET=%s and that PORT is a free port)", err, gcf.EntryPoint)
	}
}
