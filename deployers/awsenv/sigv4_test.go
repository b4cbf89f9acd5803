package awsenv_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/computeladder/computeladder/deployers/awsenv"
)

var authShape = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDSIGN/20260102/eu-west-1/lambda/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// signedBy sends body through a SigV4Transport at a fixed time and returns
// what the server saw.
func signedBy(t *testing.T, srvURL, body string) (auth, gotBody string) {
	t.Helper()
	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIGN", "SECRET", ""),
	}
	tr := awsenv.NewSigV4Transport(cfg, nil)
	tr.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	client := &http.Client{Transport: tr}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srvURL+"/items?x=1", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	if req.Header.Get("Authorization") != "" {
		t.Error("the caller's request was modified: it has an Authorization header")
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	auth, gotBody, _ = strings.Cut(string(b), "\n")
	return auth, gotBody
}

func TestSigV4Transport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, r.Header.Get("Authorization")+"\n"+string(b))
	}))
	t.Cleanup(srv.Close)

	a1, body1 := signedBy(t, srv.URL, `{"n":1}`)
	m := authShape.FindStringSubmatch(a1)
	if m == nil {
		t.Fatalf("Authorization = %q, does not match %s", a1, authShape)
	}
	for _, h := range []string{"host", "x-amz-date", "x-amz-content-sha256"} {
		if !strings.Contains(";"+m[1]+";", ";"+h+";") {
			t.Errorf("SignedHeaders %q misses %s", m[1], h)
		}
	}
	if body1 != `{"n":1}` {
		t.Errorf("server got body %q, want the one sent", body1)
	}
	again, _ := signedBy(t, srv.URL, `{"n":1}`)
	if again != a1 {
		t.Errorf("same request, same time, different signatures:\n%s\n%s", a1, again)
	}
	a2, _ := signedBy(t, srv.URL, `{"n":2}`)
	if a2 == a1 {
		t.Errorf("signature did not change with the body: %s", a2)
	}
}

func TestSigV4TransportNeedsCredentials(t *testing.T) {
	tr := &awsenv.SigV4Transport{Region: "us-east-1"}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	if _, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("RoundTrip without credentials = %v, want a no-credentials error", err)
	}
}
