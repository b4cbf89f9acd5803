package awsenv_test

import (
	"context"
	"slices"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/deployers/ecs"
)

// TestCloudDeployersAgreeOnTarget checks that the three cloud deployers
// report the same Info().Target for the same environment — awsenv.TargetOf
// its config — on AWS and on each way of naming an emulator endpoint.
func TestCloudDeployersAgreeOnTarget(t *testing.T) {
	tests := []struct {
		name string
		cfg  awsenv.Config
		env  map[string]string
		want string
	}{
		{"aws", awsenv.Config{Target: awsenv.TargetAWS, Region: "us-east-1"}, nil, awsenv.TargetAWS},
		{"aws with AWS_ENDPOINT_URL", awsenv.Config{Target: awsenv.TargetAWS, Region: "us-east-1"},
			map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, awsenv.TargetEndpoint},
		{"endpoint", awsenv.Config{Target: awsenv.TargetEndpoint, Endpoint: "http://127.0.0.1:5000", Region: "us-east-1"}, nil, awsenv.TargetEndpoint},
		{"localstack", awsenv.Config{Target: awsenv.TargetLocalStack}, nil, awsenv.TargetEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTARGET")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := awsenv.Load(context.Background(), tt.cfg)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := awsenv.TargetOf(cfg); got != tt.want {
				t.Errorf("TargetOf = %q, want %q", got, tt.want)
			}
			e, err := ec2.New(cfg)
			if err != nil {
				t.Fatalf("ec2: %v", err)
			}
			c, err := ecs.New(cfg)
			if err != nil {
				t.Fatalf("ecs: %v", err)
			}
			l, err := awslambda.New(cfg)
			if err != nil {
				t.Fatalf("awslambda: %v", err)
			}
			for _, d := range []deployers.Deployer{e, c, l} {
				if got := d.Info().Target; got != tt.want {
					t.Errorf("%s: Info().Target = %q, want %q", d.Info().Name, got, tt.want)
				}
			}
		})
	}
}

func TestTagsAreInKeyOrder(t *testing.T) {
	type tag struct{ k, v string }
	got := awsenv.Tags(map[string]string{"b": "2", "a": "1", "c": "3"}, func(k, v *string) tag { return tag{*k, *v} })
	want := []tag{{"a", "1"}, {"b", "2"}, {"c", "3"}}
	if !slices.Equal(got, want) {
		t.Fatalf("Tags = %v, want %v", got, want)
	}
}
