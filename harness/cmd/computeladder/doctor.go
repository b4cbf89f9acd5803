package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/doctor"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newDoctorCmd() *cobra.Command {
	var target, endpoint, region, arch, output string
	var memoryMB, rate int
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check, creating nothing, that a run on AWS or LocalStack can succeed",
		Long: `Doctor checks what a run on --target aws (or localstack) needs, and
creates nothing: the credentials and the account and region they resolve
to; the EC2 requests the VM and container variants would send, sent with
DryRun (AWS checks the permissions and the policy's conditions, tags and
instance type included); every other call of a run, simulated against
your IAM user's policies with the tags, permissions boundary and services
a run sends (skipped on an emulator, which evaluates no policy); the
permissions boundary the lab's roles need; ECS's service-linked role; and
whether your account's Lambda concurrency fits a run at --rate.

It prints one row per check, ✓ or ✗ (! a warning, – skipped) with the fix.
Exit codes: 0 a run can succeed, 1 a check failed, 2 bad input or no
credentials. The one-time setup an administrator does is in
infra/iam/README.md.`,
		Example: `  computeladder doctor --target aws
  computeladder doctor --target aws --region eu-west-1 --memory 2048
  computeladder doctor --target localstack`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := kit.ValidOutput(output); err != nil {
				return err
			}
			switch target {
			case "aws", "localstack":
			default:
				return kit.Usage(fmt.Errorf("--target %q: use aws or localstack (the local target needs no account: see `computeladder setup`)", target))
			}
			if arch != "amd64" && arch != "arm64" {
				return kit.Usage(fmt.Errorf("--arch %q: use amd64 or arm64", arch))
			}
			if memoryMB < 0 || rate < 1 {
				return kit.Usage(fmt.Errorf("--memory must not be negative and --rate must be at least 1"))
			}
			report, err := targets.Doctor(cmd.Context(), target, targets.Options{Endpoint: endpoint, Region: region},
				doctor.Config{MemoryMB: memoryMB, Arch: arch, Rate: rate})
			out := cmd.OutOrStdout()
			if report != nil {
				if werr := kit.PrintOutput(out, output, report, report.Write); werr != nil {
					return werr
				}
			}
			if err != nil {
				return err
			}
			if !report.OK() {
				var failed []string
				for _, r := range report {
					if r.Status == doctor.Fail {
						failed = append(failed, r.Check)
					}
				}
				return fmt.Errorf("%d check(s) failed (%s): fix them as the table says and run doctor again", len(failed), strings.Join(failed, "; "))
			}
			if output == kit.OutputTable {
				fmt.Fprintln(out, "A run can go ahead: nothing was created.")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target, "target", "aws", "what to check: aws or localstack")
	fl.StringVar(&endpoint, "endpoint", "", "AWS-compatible endpoint URL (localstack and other emulators)")
	fl.StringVar(&region, "region", "", "AWS region (default: the standard chain's; us-east-1 on localstack)")
	fl.IntVar(&memoryMB, "memory", 0, "the run's --memory: picks the instance type the dry run launches (0: the default)")
	fl.StringVar(&arch, "arch", "amd64", "the artifacts' architecture: amd64 or arm64")
	fl.IntVar(&rate, "rate", 50, "the run's --rate: the Lambda concurrency a run needs")
	kit.RegisterOutput(fl, &output, "")
	return cmd
}
