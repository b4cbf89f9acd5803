package awslambda_test

import (
	"fmt"

	"github.com/computeladder/computeladder/deployers/awslambda"
)

func ExampleParseReport() {
	tail := "START RequestId: 1a Version: $LATEST\n" +
		"REPORT RequestId: 1a\tDuration: 1.52 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\tInit Duration: 68.41 ms\t\n"
	r, ok := awslambda.ParseReport(tail)
	fmt.Println(ok, r.Cold(), r.InitDuration, r.Duration, r.BilledDuration, r.MaxMemoryMB)
	// Output: true true 68.41ms 1.52ms 2ms 19
}
