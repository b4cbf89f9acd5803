package awstest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
)

func TestMotoAnswers(t *testing.T) {
	cfg := awstest.Moto(t)
	if cfg.BaseEndpoint == nil || !strings.HasPrefix(*cfg.BaseEndpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint = %v, want a loopback URL", cfg.BaseEndpoint)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity on moto: %v", err)
	}
	if out.Account == nil || *out.Account == "" {
		t.Errorf("moto returned no account")
	}
}
