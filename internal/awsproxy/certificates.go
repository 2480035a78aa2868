package awsproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"
)

// CertificateMissing holds a certificate back as not (yet) imported.
const CertificateMissing = "MISSING"

// Certificates holds ACM certificates back as AWS does before they can be
// used: not yet imported (CertificateMissing) or not yet validated (an ACM
// status such as PENDING_VALIDATION). ACM describes a held certificate
// accordingly, and ELBv2 refuses listeners that name it with AWS's codes,
// until Release; moto has every certificate usable at once and takes
// unvalidated ones on listeners.
type Certificates struct {
	mu   sync.Mutex
	held map[string]string // ARN -> CertificateMissing or an ACM status
}

// NewCertificates returns the behaviour with nothing held.
func NewCertificates() *Certificates { return &Certificates{held: map[string]string{}} }

// Hold makes the certificate arn look missing or in the given ACM status.
func (c *Certificates) Hold(arn, state string) {
	c.mu.Lock()
	c.held[arn] = state
	c.mu.Unlock()
}

// Release makes the certificate arn usable again.
func (c *Certificates) Release(arn string) {
	c.mu.Lock()
	delete(c.held, arn)
	c.mu.Unlock()
}

func (c *Certificates) state(arn string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.held[arn]
	return s, ok
}

var listenerCertificate = regexp.MustCompile(`^Certificates\.member\.\d+\.CertificateArn$`)

// Wrap implements Middleware.
func (c *Certificates) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		switch {
		case r.Service == "acm" && r.Action == "DescribeCertificate":
			var in struct{ CertificateArn string }
			_ = json.Unmarshal(r.Body, &in)
			if state, ok := c.state(in.CertificateArn); ok {
				return c.describeHeld(next, r, in.CertificateArn, state)
			}
		case r.Service == "elasticloadbalancing" &&
			(r.Action == "CreateListener" || r.Action == "ModifyListener" || r.Action == "AddListenerCertificates"):
			for k, v := range r.Params {
				if !listenerCertificate.MatchString(k) || len(v) == 0 {
					continue
				}
				if state, ok := c.state(v[0]); ok {
					return refuseCertificate(r, v[0], state)
				}
			}
		}
		return next(r)
	}
}

func (c *Certificates) describeHeld(next Handler, r *Request, arn, state string) *Response {
	if state == CertificateMissing {
		return errorResponse(r, http.StatusBadRequest, "ResourceNotFoundException",
			fmt.Sprintf("Certificate with arn %s not found in account %s", arn, r.Account))
	}
	resp := next(r)
	if resp.Status != http.StatusOK {
		return resp
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(resp.Body, &out); err != nil || out["Certificate"] == nil {
		return resp
	}
	out["Certificate"]["Status"] = state
	delete(out["Certificate"], "IssuedAt")
	body, err := json.Marshal(out)
	if err != nil {
		return resp
	}
	return &Response{Status: resp.Status, Header: resp.Header, Body: body}
}

// refuseCertificate answers as ELBv2 does for a certificate it cannot use:
// CertificateNotFound when ACM does not have it, UnsupportedCertificate
// (with its misleading message) when it is not issued.
func refuseCertificate(r *Request, arn, state string) *Response {
	if state == CertificateMissing {
		return errorResponse(r, http.StatusBadRequest, "CertificateNotFound",
			fmt.Sprintf("Certificate '%s' not found", arn))
	}
	return errorResponse(r, http.StatusBadRequest, "UnsupportedCertificate",
		fmt.Sprintf("The certificate '%s' must have a fully-qualified domain name, a supported signature, "+
			"and a supported key size.", arn))
}
