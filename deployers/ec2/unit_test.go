package ec2

import (
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/computeladder/computeladder/deployers"
)

func TestRenderUserData(t *testing.T) {
	u := UserData{
		RunID:        "r1",
		TTLMinutes:   90,
		BinaryURL:    "https://b.s3.amazonaws.com/vm/computeladder-vm?X-Amz-Signature=abc&X-Amz-Expires=1800",
		BinarySHA256: strings.Repeat("a", 64),
		// A quote in a URL must not end the shell word.
		UnitURL:    "https://b.s3.amazonaws.com/vm/unit?x='; rm -rf / #",
		UnitSHA256: strings.Repeat("b", 64),
		Unit:       UnitName,
		Env:        []string{`"A=1"`, `"B=x \"y\" %%h"`},
	}
	got, err := RenderUserData(u)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	for _, want := range []string{
		"#!/bin/bash\n",
		"shutdown -h +90 ",
		"fetch 'https://b.s3.amazonaws.com/vm/computeladder-vm?X-Amz-Signature=abc&X-Amz-Expires=1800' /usr/local/bin/computeladder-vm.tmp",
		`fetch 'https://b.s3.amazonaws.com/vm/unit?x='\''; rm -rf / #' /etc/systemd/system/computeladder.service.tmp`,
		"'" + strings.Repeat("a", 64) + "  /usr/local/bin/computeladder-vm.tmp' | sha256sum --check",
		"Environment=\"A=1\"\nEnvironment=\"B=x \\\"y\\\" %%h\"\n",
		"systemctl enable --now computeladder.service\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("user data lacks %q:\n%s", want, got)
		}
	}
	// The time-to-live comes before anything that can fail.
	if strings.Index(got, "shutdown -h") > strings.Index(got, "fetch '") {
		t.Errorf("shutdown is scheduled after the download:\n%s", got)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		cmd := exec.Command(bash, "-n")
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v: %s\n%s", err, out, got)
		}
	}

	u.Env = nil
	got, err = RenderUserData(u)
	if err != nil {
		t.Fatalf("render without env: %v", err)
	}
	if strings.Contains(got, "Environment=") || strings.Contains(got, ".service.d") {
		t.Errorf("user data without env has a drop-in:\n%s", got)
	}
}

func TestRenderUserDataRejects(t *testing.T) {
	ok := UserData{RunID: "r", TTLMinutes: 1, BinaryURL: "u", UnitURL: "u", Unit: UnitName}
	tests := []struct {
		name string
		edit func(*UserData)
		want string
	}{
		{"no ttl", func(u *UserData) { u.TTLMinutes = 0 }, "ttl"},
		{"no url", func(u *UserData) { u.BinaryURL = "" }, "URLs"},
		{"too large", func(u *UserData) { u.Env = []string{strings.Repeat("x", MaxUserData)} }, "over EC2's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := ok
			tt.edit(&u)
			if _, err := RenderUserData(u); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSystemdEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    []string
		wantErr string
	}{
		{map[string]string{"B": "2", "A": `a "q" \ 50%`}, []string{`"A=a \"q\" \\ 50%%"`, `"B=2"`}, ""},
		{map[string]string{"X": "$HOME"}, []string{`"X=$HOME"`}, ""},
		{map[string]string{"BAD-NAME": "1"}, nil, "letters, digits and underscores"},
		{map[string]string{"A": "1\n2"}, nil, "one line"},
	}
	for _, tt := range tests {
		got, err := systemdEnv(tt.env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("systemdEnv(%v) error %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("systemdEnv(%v) = %v, %v; want %v", tt.env, got, err, tt.want)
		}
	}
}

func TestOptions(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1"}
	tests := []struct {
		name string
		cfg  aws.Config
		opt  Option
		want string // error substring; empty: accepted
	}{
		{"ingress /32", cfg, WithIngress(netip.MustParsePrefix("203.0.113.7/32")), ""},
		{"ingress to everyone", cfg, WithIngress(netip.MustParsePrefix("0.0.0.0/0")), "everyone"},
		{"ipv6 to everyone", cfg, WithIngress(netip.MustParsePrefix("::/0")), "everyone"},
		{"invalid ingress", cfg, WithIngress(netip.Prefix{}), "invalid ingress"},
		{"ttl too short", cfg, WithTTL(30 * time.Second), "ttl"},
		{"ttl too long", cfg, WithTTL(48 * time.Hour), "ttl"},
		{"poll too slow", cfg, WithPollInterval(15 * time.Second), "poll interval"},
		{"empty ami", cfg, WithAMI(""), "AMI"},
		{"no region", aws.Config{}, WithTTL(time.Hour), "no region"},
		{"bad region", aws.Config{Region: "mars"}, WithTTL(time.Hour), "not an AWS region"},
		{"govcloud region", aws.Config{Region: "us-gov-west-1"}, WithTTL(time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.opt)
			if tt.want == "" && err != nil {
				t.Errorf("New: %v, want accepted", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestChooseInstanceType(t *testing.T) {
	tests := []struct {
		memoryMB int
		arch     string
		want     string
	}{
		{0, "amd64", "t3.micro"},
		{0, "arm64", "t4g.micro"},
		{512, "amd64", "t3.nano"},
		{1500, "amd64", "t3.small"},
		{4096, "arm64", "t4g.medium"},
		{8192, "amd64", "t3.large"},
	}
	d := &Deployer{}
	for _, tt := range tests {
		if got, err := d.chooseInstanceType(tt.memoryMB, tt.arch); err != nil || got != tt.want {
			t.Errorf("%d MB %s: %q, %v; want %q", tt.memoryMB, tt.arch, got, err, tt.want)
		}
		if !slices.Contains(InstanceTypes(), tt.want) {
			t.Errorf("%s is picked but not in InstanceTypes() %v", tt.want, InstanceTypes())
		}
	}
	if _, err := d.chooseInstanceType(8193, "amd64"); err == nil || !strings.Contains(err.Error(), "largest lab instance has 8192 MB") {
		t.Errorf("8193 MB: %v, want the largest size named", err)
	}
	if _, err := d.chooseInstanceType(0, "riscv64"); err == nil || !strings.Contains(err.Error(), "amd64 or arm64") {
		t.Errorf("riscv64: %v, want refused", err)
	}
	o, err := New(aws.Config{Region: "us-east-1"}, WithInstanceType("t4g.small"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := o.chooseInstanceType(1<<20, "arm64"); got != "t4g.small" {
		t.Errorf("override: %q", got)
	}
	// The lab policy allows the pickable types only: anything else is
	// refused before anything is created.
	if _, err := New(aws.Config{Region: "us-east-1"}, WithInstanceType("c7g.large")); err == nil || !strings.Contains(err.Error(), "t3.micro") {
		t.Errorf("WithInstanceType(c7g.large): %v, want refused with the allowed types", err)
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 40)
	a, b := deployers.RandomHex(4), deployers.RandomHex(4)
	if a == b || len(a) != 8 {
		t.Errorf("suffixes %q, %q: want 8 hex digits, distinct", a, b)
	}
	if name := bucketName(long, a); len(name) > 63 || !strings.HasPrefix(name, "computeladder-"+long+"-") {
		t.Errorf("bucket name %q: want at most 63 characters, prefixed with the run id", name)
	}
	// ClientToken: at most 64 characters.
	if token := clientToken(long, a, 12); len(token) > 64 || token == clientToken(long, b, 12) || token == clientToken(long, a, 1) {
		t.Errorf("client token %q (%d characters): want at most 64, distinct per deployment and subnet", token, len(token))
	}
}
