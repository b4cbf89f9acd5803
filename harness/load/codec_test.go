package load

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSamplesCodecRoundTrip(t *testing.T) {
	ms := time.Millisecond
	tests := map[string][]Sample{
		"none": nil,
		"one":  {{Seq: 0, Offset: ms, Latency: 2 * ms, Service: ms, Code: 200}},
		"completion order, errors, odd values": {
			{Seq: 1, Offset: 2 * ms, Latency: 3 * ms, Service: 3 * ms, Code: 200},
			{Seq: 0, Offset: ms, Latency: 9 * ms, Service: 8 * ms, Code: 503},
			{Seq: 2, Offset: 3 * ms, Latency: 10 * time.Second, Service: 10 * time.Second, Code: 0, Error: "context deadline exceeded"},
			{Seq: 7, Offset: 8 * ms, Latency: 0, Service: 0, Code: 0, Error: "connection refused"},
			{Seq: 3, Offset: 4 * ms, Latency: ms, Service: 2 * ms, Code: 599, Error: "context deadline exceeded"},
			{Seq: 1 << 40, Offset: 1 << 50, Latency: 1 << 62, Service: 0, Code: 200},
		},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := EncodeSamples(&buf, in); err != nil {
				t.Fatal(err)
			}
			out, err := DecodeSamples(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, in) && !(len(in) == 0 && len(out) == 0) {
				t.Errorf("round trip changed the samples:\n got %+v\nwant %+v", out, in)
			}
		})
	}
}

func TestDecodeSamplesRejects(t *testing.T) {
	var good bytes.Buffer
	_ = EncodeSamples(&good, []Sample{{Seq: 1, Offset: time.Millisecond, Latency: time.Millisecond, Code: 200, Error: "x"}})
	tests := map[string]struct {
		in   []byte
		want string
	}{
		"not ours":     {[]byte(`[{"seq":1}]`), "not a computeladder samples stream"},
		"empty":        {nil, "not a computeladder samples stream"},
		"truncated":    {good.Bytes()[:good.Len()-1], "unexpected EOF"},
		"trailing":     {append(bytes.Clone(good.Bytes()), 0), "after the last column"},
		"huge count":   {append([]byte(sampleMagic), 0xff, 0xff, 0xff, 0xff, 0x0f, 0), "cannot fit"},
		"bad error ix": {append([]byte(sampleMagic), 1, 0, 0, 0, 0, 0, 0, 5), "error index 5 of 0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeSamples(bytes.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeSamples(f *testing.F) {
	var buf bytes.Buffer
	_ = EncodeSamples(&buf, []Sample{{Seq: 1, Offset: 5, Latency: 7, Service: 6, Code: 200}, {Seq: 0, Code: 0, Error: "e"}})
	f.Add(buf.Bytes())
	f.Add([]byte(sampleMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSamples(bytes.NewReader(b))
		if err != nil {
			return
		}
		// What decodes encodes back to samples that decode the same.
		var again bytes.Buffer
		if err := EncodeSamples(&again, s); err != nil {
			if strings.Contains(err.Error(), "negative latency") {
				return
			}
			t.Fatal(err)
		}
		s2, err := DecodeSamples(&again)
		if err != nil || !slices.Equal(s, s2) {
			t.Fatalf("re-encoded samples differ: %v", err)
		}
	})
}
