package pgserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
)

// Bridge finds Docker's default bridge network: its gateway (the host's
// address on it, which containers on the bridge reach the host through) and
// its subnet. Docker 20.10 may leave the gateway out of the IPAM config; it
// is then the subnet's first address, which the host must hold.
func Bridge(ctx context.Context) (gateway, subnet string, err error) {
	out, err := exec.CommandContext(ctx, "docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}").Output()
	if err != nil {
		return "", "", fmt.Errorf("inspect the docker bridge network (is Docker running?): %w", err)
	}
	return bridgeFrom(out, hostHas)
}

func bridgeFrom(ipamJSON []byte, has func(netip.Addr) bool) (string, string, error) {
	var cfg []struct{ Subnet, Gateway string }
	if err := json.Unmarshal(ipamJSON, &cfg); err != nil {
		return "", "", fmt.Errorf("docker bridge IPAM config %q: %w", strings.TrimSpace(string(ipamJSON)), err)
	}
	for _, c := range cfg {
		p, err := netip.ParsePrefix(c.Subnet)
		if err != nil || !p.Addr().Is4() {
			continue
		}
		gw := p.Masked().Addr().Next()
		if c.Gateway != "" {
			if gw, err = netip.ParseAddr(c.Gateway); err != nil {
				continue
			}
		}
		if !has(gw) {
			return "", "", fmt.Errorf("docker bridge gateway %s (subnet %s) is not an address of this host: run the lab on the Docker host itself", gw, p)
		}
		return gw.String(), p.Masked().String(), nil
	}
	return "", "", fmt.Errorf("docker bridge network has no IPv4 subnet (%s)", strings.TrimSpace(string(ipamJSON)))
}

// hostHas reports whether an interface of this host holds a.
func hostHas(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, x := range addrs {
		if n, ok := x.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return true
			}
		}
	}
	return false
}
