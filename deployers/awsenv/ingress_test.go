package awsenv_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/computeladder/computeladder/deployers/awsenv"
)

func TestResolveIngress(t *testing.T) {
	public := func(context.Context) (netip.Addr, error) { return netip.MustParseAddr("198.51.100.9"), nil }
	private := func(context.Context) (netip.Addr, error) { return netip.MustParseAddr("10.0.0.9"), nil }
	failing := func(context.Context) (netip.Addr, error) { return netip.Addr{}, errors.New("no route") }
	tests := []struct {
		name     string
		endpoint string
		override string
		lookup   awsenv.AddressLookup
		want     string
		source   string
		wantErr  string
	}{
		{"aws: caller's address", "", "", public, "198.51.100.9/32", awsenv.IngressFromLookup, ""},
		{"aws: private address refused", "", "", private, "", "", "not public"},
		{"aws: lookup fails", "", "", failing, "", "", "pass it with --ingress"},
		{"aws: no lookup", "", "", nil, "", "", "--ingress"},
		{"option wins", "", "203.0.113.0/24", failing, "203.0.113.0/24", awsenv.IngressFromOption, ""},
		{"emulator on 127.0.0.1", "http://127.0.0.1:5055", "", failing, "127.0.0.1/32", awsenv.IngressFromEmulator, ""},
		{"emulator on localhost", "http://localhost:4566", "", nil, "127.0.0.1/32", awsenv.IngressFromEmulator, ""},
		{"emulator on ::1", "http://[::1]:4566", "", nil, "::1/128", awsenv.IngressFromEmulator, ""},
		{"emulator elsewhere", "http://10.1.2.3:4566", "", public, "", "", "--ingress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var override netip.Prefix
			if tt.override != "" {
				override = netip.MustParsePrefix(tt.override)
			}
			got, err := awsenv.ResolveIngress(context.Background(), tt.endpoint, override, tt.lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Prefix.String() != tt.want || got.Source != tt.source {
				t.Errorf("ingress %+v, %v; want %s from %q", got, err, tt.want, tt.source)
			}
		})
	}
}

// TestAddressLookupAsksOnce checks that the lookup the EC2 and ECS
// deployers of a run share asks the service once, and asks again after a
// failure.
func TestAddressLookupAsksOnce(t *testing.T) {
	var calls atomic.Int32
	status := atomic.Int32{}
	status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte("203.0.113.7\n"))
	}))
	t.Cleanup(srv.Close)
	lookup := awsenv.NewAddressLookup(srv.Client(), srv.URL)
	if _, err := lookup(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("lookup with the service down: %v, want its status", err)
	}
	status.Store(http.StatusOK)
	for range 3 {
		got, err := lookup(context.Background())
		if err != nil || got.String() != "203.0.113.7" {
			t.Fatalf("lookup = %s, %v", got, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the service was asked %d times, want 2 (one failure, then one answer kept)", n)
	}
}

func TestPublicAddressAnswers(t *testing.T) {
	tests := []struct {
		body, want, wantErr string
		status              int
	}{
		{"203.0.113.7\n", "203.0.113.7", "", 200},
		{"::ffff:203.0.113.8", "203.0.113.8", "", 200},
		{"not an address", "", "not an address", 200},
		{"", "", "503", 503},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tt.status)
			_, _ = w.Write([]byte(tt.body))
		}))
		got, err := awsenv.NewAddressLookup(srv.Client(), srv.URL)(context.Background())
		srv.Close()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("body %q: error %v, want %q", tt.body, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("body %q: %s, %v; want %s", tt.body, got, err, tt.want)
		}
	}
}

func TestCheckIngress(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7/32": "",
		"0.0.0.0/0":      "everyone",
		"::/0":           "everyone",
	} {
		err := awsenv.CheckIngress(netip.MustParsePrefix(in))
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckIngress(%s) = %v, want %q", in, err, want)
		}
	}
	if err := awsenv.CheckIngress(netip.Prefix{}); err == nil {
		t.Error("CheckIngress(invalid) = nil")
	}
}

func TestSecurityGroupRequests(t *testing.T) {
	g := awsenv.SecurityGroup{
		Name: "computeladder-r1-x", Description: "d", VPC: "vpc-1",
		Tags: map[string]string{"computeladder:run-id": "r1", "Name": "computeladder-r1-x"},
		Port: 8080, Ingress: netip.MustParsePrefix("2001:db8::1/128"),
	}
	in := g.CreateInput()
	if len(in.TagSpecifications) != 1 || in.TagSpecifications[0].ResourceType != "security-group" || len(in.TagSpecifications[0].Tags) != 2 {
		t.Errorf("create input tags = %+v, want the group's two tags on create", in.TagSpecifications)
	}
	perm := g.IngressInput("sg-1").IpPermissions[0]
	if len(perm.IpRanges) != 0 || len(perm.Ipv6Ranges) != 1 || *perm.Ipv6Ranges[0].CidrIpv6 != "2001:db8::1/128" || *perm.FromPort != 8080 || *perm.ToPort != 8080 {
		t.Errorf("ingress permission %+v: want port 8080 from the one IPv6 address", perm)
	}
}

func TestDryRunOutcome(t *testing.T) {
	allowed := &smithy.GenericAPIError{Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set."}
	denied := &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. User: arn:aws:iam::1:user/s is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:1:network-interface/* Encoded authorization failure message: AbC"}
	other := &smithy.GenericAPIError{Code: "InvalidAMIID.NotFound", Message: "no such image"}
	if err := awsenv.DryRunOutcome(allowed); err != nil {
		t.Errorf("DryRunOperation: %v, want allowed", err)
	}
	err := awsenv.DryRunOutcome(denied)
	if !errors.Is(err, awsenv.ErrDryRunDenied) || !strings.Contains(err.Error(), "network-interface") || strings.Contains(err.Error(), "AbC") || !strings.Contains(err.Error(), "decode-authorization-message") {
		t.Errorf("UnauthorizedOperation: %v, want denied, naming the resource, pointing at the decoder", err)
	}
	if err := awsenv.DryRunOutcome(other); err == nil || errors.Is(err, awsenv.ErrDryRunDenied) {
		t.Errorf("another error: %v, want it as it is", err)
	}
	if err := awsenv.DryRunOutcome(nil); err == nil || !strings.Contains(err.Error(), "ignored DryRun") {
		t.Errorf("no error: %v, want it flagged", err)
	}
}
