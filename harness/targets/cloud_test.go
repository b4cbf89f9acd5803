package targets

import (
	"fmt"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/harness/cost"
)

// TestEveryLaunchableTypeIsPriced: the plan prices what the VM deployer
// launches, so infra/pricing.json must know every type it can pick.
func TestEveryLaunchableTypeIsPriced(t *testing.T) {
	p, err := cost.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range ec2.InstanceTypes() {
		in, ok := p.EC2.Instances[it]
		if !ok || in.Hourly <= 0 {
			t.Errorf("infra/pricing.json: no price for %s, which the VM deployer can launch", it)
			continue
		}
		want := cost.X86
		if strings.HasPrefix(it, "t4g.") {
			want = cost.ARM
		}
		if in.Arch != want {
			t.Errorf("%s priced as %s, want %s", it, in.Arch, want)
		}
	}
	if p.EBS.GP3GBMonth <= 0 || p.EBS.AsOf == "" || !strings.Contains(p.EBS.Source, "https://") {
		t.Errorf("ebs price %+v: want a dated gp3 price with its source", p.EBS)
	}
}

func TestPlanPricesWhatIsCreated(t *testing.T) {
	p, err := cost.Default()
	if err != nil {
		t.Fatal(err)
	}
	volume := float64(ec2.RootVolumeGiB) * p.EBS.GP3GBMonth / cost.HoursPerMonth
	for _, tc := range []struct {
		name     string
		variants []deployers.Variant
		memoryMB int
		goarch   string
		want     []string
		hourly   float64
	}{
		{"vm default", []deployers.Variant{deployers.VM}, 0, "", []string{"EC2 t3.micro", "8 GiB gp3 root volume", "public IPv4"},
			p.EC2.Instances["t3.micro"].Hourly + volume + p.PublicIPv4.Hourly},
		{"vm 4 GB arm64", []deployers.Variant{deployers.VM}, 4096, "arm64", []string{"EC2 t4g.medium"},
			p.EC2.Instances["t4g.medium"].Hourly + volume + p.PublicIPv4.Hourly},
		{"container 3000 MB", []deployers.Variant{deployers.Container}, 3000, "amd64", []string{"Fargate task (0.5 vCPU, 3 GB, x86_64)"},
			0.5*p.Fargate.X86.VCPUHour + 3*p.Fargate.X86.GBHour + p.PublicIPv4.Hourly},
		{"function", []deployers.Variant{deployers.Lambda}, 0, "", []string{"per request"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Plan(tc.variants, "eu-west-1", tc.memoryMB, tc.goarch)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range append(tc.want, fmt.Sprintf("Estimated: ~$%.4f per hour", tc.hourly), "eu-west-1's differ") {
				if !strings.Contains(got, w) {
					t.Errorf("plan lacks %q:\n%s", w, got)
				}
			}
		})
	}
	if _, err := Plan([]deployers.Variant{deployers.VM}, "", 1<<20, ""); err == nil || !strings.Contains(err.Error(), "largest lab instance") {
		t.Errorf("plan for more memory than any lab instance: %v", err)
	}
}
