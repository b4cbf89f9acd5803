package ec2

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/computeladder/computeladder/infra"
)

// MaxUserData is EC2's limit on user data before base64 encoding.
const MaxUserData = 16 << 10

// UserData is what infra/user-data.sh.tmpl is rendered with.
type UserData struct {
	RunID        string
	TTLMinutes   int
	BinaryURL    string // presigned GET of the VM binary
	BinarySHA256 string // hex; the instance checks the download against it
	UnitURL      string // presigned GET of the systemd unit
	UnitSHA256   string
	Unit         string   // unit file name, e.g. computeladder.service
	Env          []string // systemd Environment= values, already quoted
}

var userDataTemplate = template.Must(template.New(infra.UserDataTemplate).
	Funcs(template.FuncMap{"shquote": shellQuote}).
	ParseFS(infra.FS, infra.UserDataTemplate))

// RenderUserData renders the user-data script and checks it fits EC2's limit.
func RenderUserData(u UserData) (string, error) {
	if u.TTLMinutes < 1 {
		return "", fmt.Errorf("user data: ttl of %d minutes: must be at least 1", u.TTLMinutes)
	}
	if u.BinaryURL == "" || u.UnitURL == "" || u.Unit == "" {
		return "", fmt.Errorf("user data: artifact URLs and unit name are required")
	}
	var b bytes.Buffer
	if err := userDataTemplate.Execute(&b, u); err != nil {
		return "", fmt.Errorf("user data: %w", err)
	}
	if b.Len() > MaxUserData {
		return "", fmt.Errorf("user data: %d bytes, over EC2's %d: pass fewer or shorter environment variables", b.Len(), MaxUserData)
	}
	return b.String(), nil
}

func encodeUserData(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func ttlMinutes(ttl time.Duration) int { return int((ttl + time.Minute - 1) / time.Minute) }

// shellQuote quotes s for a POSIX shell: single quotes, each embedded single
// quote closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// systemdEnv turns env into Environment= values in key order: double-quoted
// for systemd, with backslash, quote and the specifier character % escaped.
// Newlines are refused: they would end the line and the heredoc around it.
func systemdEnv(env map[string]string) ([]string, error) {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if !envName.MatchString(k) {
			return nil, fmt.Errorf("environment variable %q: use letters, digits and underscores", k)
		}
		if strings.ContainsAny(v, "\n\r\x00") {
			return nil, fmt.Errorf("environment variable %s: the value must be one line", k)
		}
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`)
		out = append(out, `"`+r.Replace(k+"="+v)+`"`)
	}
	return out, nil
}

// fileSHA256 returns the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
