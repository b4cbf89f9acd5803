package awsenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// CheckIPURL answers the caller's public address as AWS sees it: behind
// NAT, only a service outside can tell.
const CheckIPURL = "https://checkip.amazonaws.com"

// lookupTimeout bounds one public-address lookup.
const lookupTimeout = 10 * time.Second

// AddressLookup finds the caller's public address. The cloud deployers
// open the app port to it as a /32 (or /128) and to nothing else.
type AddressLookup func(ctx context.Context) (netip.Addr, error)

// NewAddressLookup returns the lookup of the caller's public address at
// url (CheckIPURL) through client, asked once: the EC2 and ECS deployers of
// a run share one lookup, so the address is asked for once and both open
// the port to the same /32. A failed lookup is not remembered.
func NewAddressLookup(client *http.Client, url string) AddressLookup {
	var mu sync.Mutex
	var found netip.Addr
	return func(ctx context.Context) (netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		if found.IsValid() {
			return found, nil
		}
		addr, err := publicAddress(ctx, client, url)
		if err != nil {
			return netip.Addr{}, err
		}
		found = addr
		return addr, nil
	}
}

// publicAddress asks url for the caller's public address.
func publicAddress(ctx context.Context, client *http.Client, url string) (netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return netip.Addr{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		return netip.Addr{}, err
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(string(body)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("GET %s: not an address: %w", url, err)
	}
	return addr.Unmap(), nil
}

// Ingress is the one source range a deployment's security group lets in,
// and where it came from (for the report).
type Ingress struct {
	Prefix netip.Prefix
	Source string
}

// Ingress sources.
const (
	IngressFromOption   = "option"
	IngressFromEmulator = "emulator endpoint host: the caller's public address cannot be discovered through an emulator"
	IngressFromLookup   = CheckIPURL
)

// ResolveIngress returns the range the app port opens to: override when it
// is valid; on an emulator (emulatorEndpoint is its URL; "" on AWS) the
// endpoint host's loopback address, since nothing there is reachable from
// elsewhere and the caller's public address cannot be told; otherwise the
// caller's public address from lookup, as a single-address prefix. A
// private or unusable address is an error that says to pass --ingress.
func ResolveIngress(ctx context.Context, emulatorEndpoint string, override netip.Prefix, lookup AddressLookup) (Ingress, error) {
	if override.IsValid() {
		return Ingress{Prefix: override.Masked(), Source: IngressFromOption}, nil
	}
	if emulatorEndpoint != "" {
		p, err := endpointLoopback(emulatorEndpoint)
		if err != nil {
			return Ingress{}, err
		}
		return Ingress{Prefix: p, Source: IngressFromEmulator}, nil
	}
	if lookup == nil {
		return Ingress{}, errors.New("find your public address: no lookup configured: pass it with --ingress, e.g. 203.0.113.7/32")
	}
	addr, err := lookup(ctx)
	if err != nil {
		return Ingress{}, fmt.Errorf("find your public address: %w: pass it with --ingress, e.g. 203.0.113.7/32", err)
	}
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return Ingress{}, fmt.Errorf("find your public address: %s is not public: pass it with --ingress, e.g. 203.0.113.7/32", addr)
	}
	return Ingress{Prefix: netip.PrefixFrom(addr, addr.BitLen()), Source: IngressFromLookup}, nil
}

// CheckIngress refuses a prefix that is invalid or opens the app port to
// everyone: the one check behind every --ingress and WithIngress.
func CheckIngress(prefix netip.Prefix) error {
	if !prefix.IsValid() {
		return errors.New("invalid ingress prefix: pass your public address as a /32, e.g. 203.0.113.7/32")
	}
	if prefix.Bits() == 0 {
		return fmt.Errorf("ingress %s opens the app to everyone: pass your public address as a /32", prefix)
	}
	return nil
}

// endpointLoopback is the ingress on an emulator: the endpoint host's
// address as a single-address prefix when it is a loopback address.
// Anything else would be a guess.
func endpointLoopback(endpoint string) (netip.Prefix, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return netip.Prefix{}, fmt.Errorf("emulator endpoint %q: cannot tell the ingress address: pass it with --ingress", endpoint)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.IsLoopback() {
		return netip.Prefix{}, fmt.Errorf("emulator endpoint %q is not on a loopback address: pass the ingress address with --ingress", endpoint)
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}
