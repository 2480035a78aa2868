package service

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kelb-dev/kelb/internal/model"
)

// CertificateStatus is what AWS says of a certificate: an ACM status
// (ISSUED, PENDING_VALIDATION, EXPIRED, ...) or CertificateNotFound.
type CertificateStatus string

// Certificate statuses the builder tells apart.
const (
	CertificateIssued   CertificateStatus = "ISSUED"
	CertificateNotFound CertificateStatus = "NOT_FOUND" // neither ACM nor IAM has it (yet)
)

// CertificateError says a certificate a TLS listener needs cannot be used
// yet. It is not terminal: importing or validating the certificate fixes
// the Service without an edit, so the Service is retried.
type CertificateError struct {
	ARN    string
	Status CertificateStatus
}

func (e *CertificateError) Error() string {
	if e.Status == CertificateNotFound {
		return fmt.Sprintf("certificate %s (annotation %s) does not exist in ACM or IAM", e.ARN, AnnSSLCert)
	}
	return fmt.Sprintf("certificate %s (annotation %s) is %s, not ISSUED", e.ARN, AnnSSLCert, e.Status)
}

// certificateARN matches what a listener takes: an ACM certificate or an
// IAM server certificate, in any partition.
var certificateARN = regexp.MustCompile(
	`^arn:aws[a-z-]*:(acm:[a-z0-9-]+:[0-9]{12}:certificate/[^/\s]+|iam::[0-9]{12}:server-certificate/\S+)$`)

// IsIAMCertificate reports whether arn names an IAM server certificate.
func IsIAMCertificate(arn string) bool { return strings.Contains(arn, ":server-certificate/") }

func checkCertificateARNs(certs []string) error {
	for _, c := range certs {
		if !certificateARN.MatchString(c) {
			return &AnnotationError{Annotation: AnnSSLCert, Value: c,
				Allowed: "ARNs of ACM certificates (arn:aws:acm:<region>:<account>:certificate/<id>) or IAM server " +
					"certificates (arn:aws:iam::<account>:server-certificate/<name>)"}
		}
	}
	return nil
}

// certificateQuery returns the well-formed certificate ARNs of the
// annotation: the ones to ask AWS about.
func certificateQuery(a annotations) []string {
	var out []string
	for _, c := range a.list(AnnSSLCert) {
		if certificateARN.MatchString(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// checkSSLPolicy refuses a policy AWS does not offer. known nil means the
// policies were not looked up (no TLS listener asked for them).
func checkSSLPolicy(a annotations, policy string, known []string) error {
	if known == nil || slices.Contains(known, policy) {
		return nil
	}
	allowed := "SSL policies for network load balancers: " + strings.Join(known, ", ")
	if _, ok := a[AnnSSLPolicy]; ok {
		return &AnnotationError{Annotation: AnnSSLPolicy, Value: policy, Allowed: allowed}
	}
	return fmt.Errorf("%w: flag --default-ssl-policy %q is not an SSL policy AWS offers; allowed: %s",
		ErrInvalid, policy, allowed)
}

// certificatesReady returns a *CertificateError for the first certificate
// of a TLS listener that AWS does not hold as issued. statuses nil means
// the certificates were not looked up.
func certificatesReady(listeners []model.Listener, statuses map[string]CertificateStatus) error {
	if statuses == nil {
		return nil
	}
	for _, l := range listeners {
		for _, c := range l.Certificates {
			status, ok := statuses[c]
			if !ok {
				status = CertificateNotFound
			}
			if status != CertificateIssued {
				return &CertificateError{ARN: c, Status: status}
			}
		}
	}
	return nil
}
