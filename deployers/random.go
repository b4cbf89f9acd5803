package deployers

import (
	"crypto/rand"
	"encoding/hex"
)

// RandomHex is n random bytes in hex (2n characters): the suffix that keeps
// two deployments of one run apart in resource names. crypto/rand.Read
// never fails (Go 1.24+), so neither does RandomHex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
