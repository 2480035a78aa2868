package ingress

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// AnnMutualAuthentication configures mutual TLS per HTTPS listener port.
const AnnMutualAuthentication = Prefix + "mutual-authentication"

// Mutual TLS modes.
const (
	MTLSOff         = "off"
	MTLSPassthrough = "passthrough"
	MTLSVerify      = "verify"
)

type mutualAuthEntry struct {
	Port                          int32  `json:"port"`
	Mode                          string `json:"mode"`
	TrustStore                    string `json:"trustStore"`
	IgnoreClientCertificateExpiry *bool  `json:"ignoreClientCertificateExpiry"`
	AdvertiseTrustStoreCaNames    string `json:"advertiseTrustStoreCaNames"`
}

// mutualAuthenticationOf reads mutual-authentication as LBC does: a JSON
// list of {port, mode, trustStore, ignoreClientCertificateExpiry,
// advertiseTrustStoreCaNames}; verify needs a trust store (ARN or name) and
// defaults ignoreClientCertificateExpiry to false, off and passthrough take
// neither. Entries apply to HTTPS listeners only (others are not read, as
// in LBC). The result is keyed by port; nil when the annotation is unset.
func mutualAuthenticationOf(a service.Annotations) (map[int32]model.MutualAuthentication, error) {
	raw, ok := a.Value(AnnMutualAuthentication)
	if !ok {
		return nil, nil
	}
	bad := func(allowed string) error {
		return &AnnotationError{Annotation: AnnMutualAuthentication, Value: raw, Allowed: allowed}
	}
	var entries []mutualAuthEntry
	if err := json.Unmarshal([]byte(raw), &entries); err != nil || len(entries) == 0 {
		return nil, bad(`a JSON list of {"port": <HTTPS listener port>, "mode": "off"|"passthrough"|"verify", ` +
			`"trustStore": <ARN or name, verify only>, "ignoreClientCertificateExpiry": <bool, verify only>}`)
	}
	out := map[int32]model.MutualAuthentication{}
	for _, e := range entries {
		port := strconv.Itoa(int(e.Port))
		switch {
		case e.Port < 1 || e.Port > 65535:
			return nil, bad("ports from 1 to 65535 (got " + port + ")")
		case e.Mode != MTLSOff && e.Mode != MTLSPassthrough && e.Mode != MTLSVerify:
			return nil, bad(fmt.Sprintf("mode off, passthrough or verify for port %s (got %q)", port, e.Mode))
		case e.Mode == MTLSVerify && e.TrustStore == "":
			return nil, bad("a trustStore for mode verify (port " + port + ")")
		case e.Mode != MTLSVerify && (e.TrustStore != "" || e.IgnoreClientCertificateExpiry != nil):
			return nil, bad("no trustStore or ignoreClientCertificateExpiry for mode " + e.Mode + " (port " + port + ")")
		case e.AdvertiseTrustStoreCaNames != "" && e.AdvertiseTrustStoreCaNames != "on" &&
			e.AdvertiseTrustStoreCaNames != "off":
			return nil, bad("advertiseTrustStoreCaNames on or off (port " + port + ")")
		}
		m := model.MutualAuthentication{Mode: e.Mode, TrustStore: e.TrustStore,
			AdvertiseTrustStoreCANames: e.AdvertiseTrustStoreCaNames}
		if e.Mode == MTLSVerify {
			ignore := e.IgnoreClientCertificateExpiry != nil && *e.IgnoreClientCertificateExpiry
			m.IgnoreClientCertificateExpiry = &ignore
		}
		out[e.Port] = m
	}
	return out, nil
}
