package app

import (
	"context"
	"net/http"
	"sort"
	"strings"
)

// route is one endpoint; the table drives both the mux and the 404/405
// answers, so the Allow header and the route list cannot drift apart.
type route struct {
	method, path string
	handler      http.HandlerFunc
}

func (s *server) routeTable() []route {
	rt := []route{
		{http.MethodGet, "/healthz", s.healthz},
		{http.MethodGet, "/whoami", s.whoami},
		{http.MethodPost, "/checkout", s.checkout},
		{http.MethodPost, "/thumbnail", s.thumbnail},
		{http.MethodPost, "/jobs", s.jobs},
	}
	if s.cfg.Orders != nil {
		// Without a store the route does not exist (the JSON 404), so the
		// app needs no database unless the adapter wires one.
		rt = append(rt, route{http.MethodPost, "/orders", s.orders})
	}
	return rt
}

// routes builds the mux. ServeMux answers unknown routes and wrong methods
// in plain text, so every path also gets a method-less pattern (less
// specific than "POST /checkout", so it only sees the other methods) that
// answers 405 in JSON, and "/" catches everything else with a JSON 404.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	var list []string
	for _, rt := range s.routeTable() {
		mux.HandleFunc(rt.method+" "+rt.path, rt.handler)
		allowed[rt.path] = append(allowed[rt.path], rt.method)
		if rt.method == http.MethodGet {
			// A GET pattern also serves HEAD.
			allowed[rt.path] = append(allowed[rt.path], http.MethodHead)
		}
		list = append(list, rt.method+" "+rt.path)
	}
	for path, methods := range allowed {
		sort.Strings(methods)
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				"%s is not allowed on %s; use %s", r.Method, path, allow))
		})
	}
	routeList := strings.Join(list, ", ")
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, CodeNotFound,
			"no route for %s %s; routes are %s", r.Method, truncate(r.URL.Path, 100), routeList))
	})
	return mux
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// seqKey carries the request's sequence number (1 = the instance's first).
type seqKey struct{}

// count numbers every request except health probes (see Config).
func (s *server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		n := s.served.Add(1)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), seqKey{}, n)))
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
