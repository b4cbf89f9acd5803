// Package infra embeds the files under infra/ that Go code renders or ships,
// so that a built computeladder binary carries them and needs no checkout.
//
// The user-data template is text/template source: deployers/ec2 renders it
// into the EC2 user data of the VM variant.
package infra

import "embed"

// UserDataTemplate is the name, inside FS, of the EC2 user-data template.
const UserDataTemplate = "user-data.sh.tmpl"

// LocalStackImage is the LocalStack image localstack/compose.yaml runs
// unless LOCALSTACK_VERSION says otherwise, and the one the LocalStack
// test runs: pinned, never "latest".
const LocalStackImage = "localstack/localstack:4.14.0"

// FS holds the embedded files.
//
//go:embed user-data.sh.tmpl
var FS embed.FS
