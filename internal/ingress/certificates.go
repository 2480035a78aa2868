package ingress

import (
	"slices"
	"strings"

	"github.com/kelb-dev/kelb/internal/service"
)

// ACMCertificate is what certificate discovery knows of one ACM
// certificate.
type ACMCertificate struct {
	ARN    string
	Status string // ISSUED, PENDING_VALIDATION, ...
	// Domains are the certificate's subject alternative names.
	Domains []string
	// AuthorityARN is the private CA that issued it, "" for others.
	AuthorityARN string
}

// DiscoverCertificates picks the certificates of an HTTPS listener for
// hosts when the Ingress names none, as LBC does: every ISSUED certificate
// (of an allowed CA, when allowedCAs is not empty) with a name that is the
// host, or a wildcard "*.<parent>" of the host (one label only); every host
// must be covered. The result is sorted, so the listener's default
// certificate is the lowest ARN, as in LBC. A host no certificate covers is
// an error that clears once ACM issues one.
func DiscoverCertificates(hosts []string, certs []ACMCertificate, allowedCAs []string) ([]string, error) {
	var out []string
	for _, host := range hosts {
		found := false
		for _, c := range certs {
			if c.Status != "ISSUED" || (len(allowedCAs) > 0 && !slices.Contains(allowedCAs, c.AuthorityARN)) {
				continue
			}
			if slices.ContainsFunc(c.Domains, func(d string) bool { return domainCovers(d, host) }) {
				found = true
				if !slices.Contains(out, c.ARN) {
					out = append(out, c.ARN)
				}
			}
		}
		if !found {
			return nil, &AnnotationError{Annotation: AnnCertificateARN, Value: "", External: true,
				Allowed: "certificate ARNs, or an ISSUED ACM certificate for host " + host + " (none was found)"}
		}
	}
	slices.Sort(out)
	return out, nil
}

// domainCovers reports whether a certificate name covers host: the same
// name, or a wildcard whose parent is the host's parent.
func domainCovers(domain, host string) bool {
	if rest, ok := strings.CutPrefix(domain, "*."); ok {
		_, parent, ok := strings.Cut(host, ".")
		return ok && parent == rest
	}
	return domain == host
}

// checkNamedCertificates refuses, before any AWS change, a named
// certificate AWS cannot put on a listener: one that neither ACM nor IAM
// holds, or an ACM certificate that is not ISSUED. LBC leaves that to the
// listener call, after the load balancer and target groups were made or
// changed; kelb reads the certificates first (statuses from the
// controller). The error is External: importing or validating the
// certificate fixes the Ingress without an edit.
func checkNamedCertificates(field string, certs []string, statuses map[string]service.CertificateStatus) error {
	for _, arn := range certs {
		status, ok := statuses[arn]
		if ok && status == service.CertificateIssued {
			continue
		}
		why := "its status was not read"
		switch {
		case status == service.CertificateNotFound:
			why = "it does not exist in ACM or IAM"
		case ok:
			why = "it is " + string(status)
		}
		return &AnnotationError{Annotation: field, Value: arn, External: true,
			Allowed: "ISSUED ACM certificates or IAM server certificates (" + why + ")"}
	}
	return nil
}
