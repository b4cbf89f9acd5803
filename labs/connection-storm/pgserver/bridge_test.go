package pgserver

import (
	"net/netip"
	"strings"
	"testing"
)

func TestBridgeFrom(t *testing.T) {
	host := func(want string) func(netip.Addr) bool {
		return func(a netip.Addr) bool { return a.String() == want }
	}
	tests := []struct {
		name, ipam, hostIP, gw, subnet string
		wantErr                        string
	}{
		{"gateway given", `[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]`, "172.17.0.1", "172.17.0.1", "172.17.0.0/16", ""},
		{"gateway left out (Docker 20.10)", `[{"Subnet":"172.17.0.0/16"}]`, "172.17.0.1", "172.17.0.1", "172.17.0.0/16", ""},
		{"custom gateway", `[{"Subnet":"10.9.0.0/24","Gateway":"10.9.0.254"}]`, "10.9.0.254", "10.9.0.254", "10.9.0.0/24", ""},
		{"IPv6 only", `[{"Subnet":"fd00::/64"}]`, "", "", "", "no IPv4 subnet"},
		{"not this host's", `[{"Subnet":"172.17.0.0/16"}]`, "10.0.0.1", "", "", "not an address of this host"},
		{"garbage", `nope`, "", "", "", "IPAM config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw, subnet, err := bridgeFrom([]byte(tt.ipam), host(tt.hostIP))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || gw != tt.gw || subnet != tt.subnet {
				t.Errorf("got %s %s %v, want %s %s", gw, subnet, err, tt.gw, tt.subnet)
			}
		})
	}
}
