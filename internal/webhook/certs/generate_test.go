package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func certs(t *testing.T, b []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

// verifies checks that the bundle makes a client trust the serving
// certificate for name at time at.
func verifies(t *testing.T, m Material, name string, at time.Time) error {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(m.Bundle)
	_, err := certs(t, m.Cert)[0].Verify(x509.VerifyOptions{DNSName: name, Roots: pool, CurrentTime: at})
	return err
}

func TestPlan(t *testing.T) {
	names := ServiceNames("kelb-webhook-service", "kube-system")
	l := DefaultLifetimes
	first, reason, err := Plan(nil, names, t0, l)
	if err != nil || reason != "no certificate yet" {
		t.Fatalf("first plan: %q, %v", reason, err)
	}
	for _, n := range append(names, "kelb-webhook-service.kube-system.svc") {
		if err := verifies(t, first, n, t0); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if got := certs(t, first.Cert)[0].NotAfter; !got.Equal(t0.Add(l.Serving)) {
		t.Errorf("serving certificate ends %v", got)
	}

	type step struct {
		name      string
		at        time.Time
		names     []string
		reason    string
		sameCA    bool
		sameCert  bool
		bundleCAs int
		mutate    func(*Material)
	}
	for _, tc := range []step{
		{name: "still good a month later", at: t0.Add(30 * 24 * time.Hour), names: names, sameCA: true, sameCert: true, bundleCAs: 1},
		{name: "30 days before the end: a new serving certificate from the same CA", at: t0.Add(l.Serving - 29*24*time.Hour),
			names: names, reason: "serving certificate expires 2027-01-01T00:00:00Z", sameCA: true, bundleCAs: 1},
		{name: "a name more: a new serving certificate", at: t0, names: append(names, "127.0.0.1"),
			reason: "serving certificate does not name 127.0.0.1", sameCA: true, bundleCAs: 1},
		{name: "a year before the CA ends: a new CA, the old one still trusted", at: t0.Add(l.CA - 300*24*time.Hour),
			names: names, reason: "CA expires 2035-12-30T00:00:00Z", bundleCAs: 2},
		{name: "an unreadable CA key: all anew", at: t0, names: names, reason: "unreadable CA: no PEM key", bundleCAs: 1,
			mutate: func(m *Material) { m.CAKey = []byte("junk") }},
		{name: "a serving key of another certificate", at: t0, names: names, sameCA: true, bundleCAs: 1,
			reason: "unreadable serving certificate: key does not match the certificate",
			mutate: func(m *Material) { m.Key = m.CAKey }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := first
			cur.Bundle = bytes.Clone(first.Bundle)
			if tc.mutate != nil {
				tc.mutate(&cur)
			}
			got, reason, err := Plan(&cur, tc.names, tc.at, l)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.reason, reason); diff != "" {
				t.Errorf("reason (-want +got):\n%s", diff)
			}
			if same := bytes.Equal(got.CACert, first.CACert); same != tc.sameCA {
				t.Errorf("same CA = %v; want %v", same, tc.sameCA)
			}
			if same := bytes.Equal(got.Cert, first.Cert); same != tc.sameCert {
				t.Errorf("same serving certificate = %v; want %v", same, tc.sameCert)
			}
			if n := len(certs(t, got.Bundle)); n != tc.bundleCAs {
				t.Errorf("bundle holds %d CAs; want %d", n, tc.bundleCAs)
			}
			for _, n := range tc.names {
				if err := verifies(t, got, n, tc.at); err != nil {
					t.Errorf("%s: %v", n, err)
				}
			}
		})
	}
}

// TestCARotationKeepsOldServingTrusted: while replicas still serve the
// certificate of the CA being replaced, the bundle trusts it; once that CA
// ends it leaves the bundle.
func TestCARotationKeepsOldServingTrusted(t *testing.T) {
	names := ServiceNames("svc", "ns")
	l := DefaultLifetimes
	old, _, _ := Plan(nil, names, t0, l)
	// The serving certificate renewed late in the CA's life ends with the CA.
	late := t0.Add(l.CA - 400*24*time.Hour)
	renewed, _, _ := Plan(&old, names, late, l)
	if !bytes.Equal(renewed.CACert, old.CACert) {
		t.Fatal("CA replaced too early")
	}
	rotated, reason, _ := Plan(&renewed, names, t0.Add(l.CA-300*24*time.Hour), l)
	if reason == "" || bytes.Equal(rotated.CACert, old.CACert) {
		t.Fatal("CA not replaced")
	}
	stillServed := Material{Bundle: rotated.Bundle, Cert: renewed.Cert}
	if err := verifies(t, stillServed, "svc.ns.svc", t0.Add(l.CA-300*24*time.Hour)); err != nil {
		t.Errorf("a replica's certificate of the old CA is no longer trusted: %v", err)
	}
	pruned, reason, _ := Plan(&rotated, names, t0.Add(l.CA+time.Hour), l)
	if reason != "CA bundle out of date" || len(certs(t, pruned.Bundle)) != 1 {
		t.Errorf("after the old CA ended: %q, %d CAs", reason, len(certs(t, pruned.Bundle)))
	}
}
