package manager

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/webhook/certs"
)

// TestWebhookTLS: TLS 1.2 or later, HTTP/1.1 only; --kube-ca-pem-filepath
// makes the server require client certificates from that CA, as LBC.
func TestWebhookTLS(t *testing.T) {
	apply := func(opts []func(*tls.Config)) *tls.Config {
		c := &tls.Config{}
		for _, o := range opts {
			o(c)
		}
		return c
	}
	opts, err := webhookTLS("")
	if err != nil {
		t.Fatal(err)
	}
	c := apply(opts)
	if diff := cmp.Diff([]any{uint16(tls.VersionTLS12), []string{"http/1.1"}, tls.NoClientCert},
		[]any{c.MinVersion, c.NextProtos, c.ClientAuth}); diff != "" {
		t.Errorf("no client CA (-want +got):\n%s", diff)
	}

	m, _, err := certs.Plan(nil, []string{"svc"}, time.Now(), certs.DefaultLifetimes)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, junk := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(caFile, m.CACert, 0o600)
	_ = os.WriteFile(junk, []byte("not pem"), 0o600)
	opts, err = webhookTLS(caFile)
	if err != nil {
		t.Fatal(err)
	}
	if c := apply(opts); c.ClientAuth != tls.RequireAndVerifyClientCert || c.ClientCAs == nil {
		t.Errorf("client CA not required: %v", c.ClientAuth)
	}
	for _, f := range []string{junk, filepath.Join(dir, "absent.pem")} {
		if _, err := webhookTLS(f); err == nil {
			t.Errorf("%s accepted", f)
		}
	}
}
