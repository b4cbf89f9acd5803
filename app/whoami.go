package app

import (
	"net/http"
	"time"
)

// Whoami is the body of GET /whoami: which instance answered, and what it
// remembers. RequestsServed lives in memory only, so the statelessness lab
// sees it start again from 1 on every new instance.
type Whoami struct {
	Platform   string `json:"platform"`
	InstanceID string `json:"instance_id"`
	StartedAt  string `json:"started_at"`
	UptimeMS   int64  `json:"uptime_ms"`
	// Cold is true iff this is the first request this instance served
	// (health probes excluded, see Config).
	Cold           bool  `json:"cold"`
	RequestsServed int64 `json:"requests_served"`
}

func (s *server) whoami(w http.ResponseWriter, r *http.Request) {
	seq, _ := r.Context().Value(seqKey{}).(int64)
	platform := s.cfg.Platform
	if platform == "" {
		platform = "unknown"
	}
	writeJSON(w, http.StatusOK, Whoami{
		Platform:       platform,
		InstanceID:     s.cfg.InstanceID,
		StartedAt:      s.cfg.Started.UTC().Format(time.RFC3339Nano),
		UptimeMS:       max(0, s.now().Sub(s.cfg.Started).Milliseconds()),
		Cold:           seq == 1,
		RequestsServed: seq,
	})
}
