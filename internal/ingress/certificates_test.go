package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiscoverCertificates(t *testing.T) {
	const (
		wild  = "arn:aws:acm:eu-west-1:123456789012:certificate/1-wild"
		shopA = "arn:aws:acm:eu-west-1:123456789012:certificate/2-shop"
		other = "arn:aws:acm:eu-west-1:123456789012:certificate/3-other"
		ca    = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/ca"
	)
	certs := []ACMCertificate{
		{ARN: shopA, Status: "ISSUED", Domains: []string{"shop.example.com", "www.shop.example.com"}},
		{ARN: wild, Status: "ISSUED", Domains: []string{"*.example.com"}, AuthorityARN: ca},
		{ARN: other, Status: "PENDING_VALIDATION", Domains: []string{"api.example.com"}},
	}
	tests := []struct {
		name       string
		hosts      []string
		allowedCAs []string
		want       []string
		wantErr    error
	}{
		{"exact and wildcard both match, sorted", []string{"shop.example.com"}, nil, []string{wild, shopA}, nil},
		{"a wildcard covers one label only", []string{"www.shop.example.com"}, nil, []string{shopA}, nil},
		{"several hosts", []string{"a.example.com", "www.shop.example.com"}, nil, []string{wild, shopA}, nil},
		{"the wildcard host itself", []string{"*.example.com"}, nil, []string{wild}, nil},
		{"with allowed CAs, only their certificates (as LBC)", []string{"shop.example.com"}, []string{ca},
			[]string{wild}, nil},
		{"not issued does not count", []string{"api.example.com"}, []string{"arn:other-ca"}, nil, &AnnotationError{
			Annotation: AnnCertificateARN, External: true,
			Allowed: "certificate ARNs, or an ISSUED ACM certificate for host api.example.com (none was found)"}},
		{"the apex is not covered by a wildcard", []string{"example.com"}, nil, nil, &AnnotationError{
			Annotation: AnnCertificateARN, External: true,
			Allowed: "certificate ARNs, or an ISSUED ACM certificate for host example.com (none was found)"}},
		{"no host, no certificate", nil, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DiscoverCertificates(tt.hosts, certs, tt.allowedCAs)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("certificates (-want +got):\n%s", diff)
			}
		})
	}
}
