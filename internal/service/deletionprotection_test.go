package service

import (
	"errors"
	"testing"
)

func TestDeletable(t *testing.T) {
	tests := []struct {
		name      string
		ann       map[string]string
		wantLift  bool
		wantError string // "protected", "annotation" or ""
	}{
		{"no annotation", nil, false, ""},
		{"other attributes only", map[string]string{AnnAttributes: "load_balancing.cross_zone.enabled=true"}, false, ""},
		{"protection on", map[string]string{AnnAttributes: "deletion_protection.enabled=true"}, false, "protected"},
		{"protection on among others", map[string]string{
			AnnAttributes: "load_balancing.cross_zone.enabled=true, deletion_protection.enabled=TRUE"}, false, "protected"},
		{"protection off: lifted in AWS first", map[string]string{AnnAttributes: "deletion_protection.enabled=false"}, true, ""},
		{"not a boolean", map[string]string{AnnAttributes: "deletion_protection.enabled=yes please"}, false, "annotation"},
		{"malformed annotation", map[string]string{AnnAttributes: "deletion_protection.enabled"}, false, "annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lift, err := Deletable("web", tt.ann)
			var protected *DeletionProtectedError
			var annErr *AnnotationError
			got := ""
			switch {
			case errors.As(err, &protected):
				got = "protected"
			case errors.As(err, &annErr):
				got = "annotation"
			case err != nil:
				got = err.Error()
			}
			if lift != tt.wantLift || got != tt.wantError {
				t.Errorf("Deletable = %v, %q; want %v, %q", lift, got, tt.wantLift, tt.wantError)
			}
		})
	}
	_, err := Deletable("web", map[string]string{AnnAttributes: "deletion_protection.enabled=true"})
	if want := "deletion_protection is enabled, cannot delete the service: web; set deletion_protection.enabled=false " +
		"in annotation service.beta.kubernetes.io/aws-load-balancer-attributes to let the load balancer be deleted"; err.Error() != want {
		t.Errorf("message %q\nwant    %q", err.Error(), want)
	}
}
