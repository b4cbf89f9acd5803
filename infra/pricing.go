// Package infra holds the data files the harness ships with: prices,
// policies and templates. Each is embedded, so the CLI works from any
// directory and a test reads exactly what a student's binary reads.
package infra

import _ "embed" // for go:embed

// PricingJSON is pricing.json: dated on-demand prices (and Lambda provisioned
// concurrency) with their sources.
// It is data, not code, so an instructor can update a price without
// touching Go; package harness/cost parses and validates it.
//
//go:embed pricing.json
var PricingJSON []byte
