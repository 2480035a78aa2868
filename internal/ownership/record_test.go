package ownership

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestRef(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/k8s-a-b-0123456789/0123456789abcdef": "loadbalancer/net/k8s-a-b-0123456789/0123456789abcdef",
		"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/k8s-a-b-0123456789/0123456789abcdef":  "targetgroup/k8s-a-b-0123456789/0123456789abcdef",
		"sg-0123456789abcdef0": "sg-0123456789abcdef0",
		"arn:short":            "arn:short",
	} {
		if got := Ref(in); got != want {
			t.Errorf("Ref(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	e := Entries{"ns/b": {"targetgroup/t/2", "loadbalancer/net/l/1"}, "ns/a": {"sg-1"}, BackendSGKey: {"sg-9"}}
	text := Encode(e)
	want := "_backend-sg sg-9\nns/a sg-1\nns/b loadbalancer/net/l/1 targetgroup/t/2\n"
	if diff := cmp.Diff(want, text); diff != "" {
		t.Errorf("encoding (-want +got):\n%s", diff)
	}
	wantBack := Entries{"ns/b": {"loadbalancer/net/l/1", "targetgroup/t/2"}, "ns/a": {"sg-1"}, BackendSGKey: {"sg-9"}}
	if diff := cmp.Diff(wantBack, Decode(text+"\n  \nns/empty\n")); diff != "" {
		t.Errorf("decoding (-want +got):\n%s", diff)
	}
}

func TestRecordHas(t *testing.T) {
	var r Record
	if r.Has("sg-1") {
		t.Error("an empty record has sg-1")
	}
	e := Entries{"ns/a": {"sg-1", "loadbalancer/net/l/1"}}
	r.Set(e)
	e["ns/a"][0] = "sg-changed" // the record keeps its own copy
	for id, want := range map[string]bool{
		"sg-1": true, "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/l/1": true,
		"sg-changed": false, "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/l/2": false,
	} {
		if got := r.Has(id); got != want {
			t.Errorf("Has(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestFit(t *testing.T) {
	prev := Entries{"ns/z": {"sg-3"}}
	next := Entries{"ns/a": {"sg-1"}, "ns/b": {"sg-2"}, "ns/z": {"sg-3"}}
	for _, tc := range []struct {
		max  int
		want Entries
		left []string
	}{
		{1000, next, nil},
		{len("ns/z sg-3\n") + len("ns/a sg-1\n"), Entries{"ns/z": {"sg-3"}, "ns/a": {"sg-1"}}, []string{"ns/b"}},
		{len("ns/z sg-3\n"), Entries{"ns/z": {"sg-3"}}, []string{"ns/a", "ns/b"}}, // what was proven stays proven
		{0, Entries{}, []string{"ns/a", "ns/b", "ns/z"}},
	} {
		got, left := Fit(prev, next, tc.max)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("max %d: record (-want +got):\n%s", tc.max, diff)
		}
		if diff := cmp.Diff(tc.left, left); diff != "" {
			t.Errorf("max %d: left out (-want +got):\n%s", tc.max, diff)
		}
	}
}

// TestRecordSize measures the record of 1,000 stacks made by LBC, each with
// a load balancer, one target group and a frontend group, and how many fit.
func TestRecordSize(t *testing.T) {
	e := Entries{}
	for i := range 1000 {
		e[fmt.Sprintf("namespace-%03d/service-%03d", i, i)] = []string{
			Ref(fmt.Sprintf("arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/k8s-namespac-service0-%010d/%016x", i, i)),
			Ref(fmt.Sprintf("arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/k8s-namespac-service0-%010d/%016x", i, i)),
			fmt.Sprintf("sg-%017x", i),
		}
	}
	size := len(Encode(e))
	t.Logf("1,000 stacks: %d bytes (%d a stack); %d stacks fit in %d bytes", size, size/1000, MaxBytes/(size/1000), MaxBytes)
	if size > 200_000 {
		t.Errorf("1,000 stacks take %d bytes, want at most 200,000", size)
	}
}

// TestStackKeys: a Service stack keeps the key records have always had, so
// a record written before stacks had kinds reads the same; an Ingress
// group's key can equal no Service's, nor the backend group's.
func TestStackKeys(t *testing.T) {
	keys := map[string]string{}
	for _, id := range []model.StackID{
		model.ServiceStackID("ns", "web"),
		{Kind: model.IngressKind, Name: "ns/web"},
		{Kind: model.IngressKind, Name: "shared"},
	} {
		keys[id.String()] = StackKey(id)
	}
	want := map[string]string{"service:ns/web": "ns/web", "ingress:ns/web": "ingress:ns/web", "ingress:shared": "ingress:shared"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	old := "_backend-sg sg-9\nns/web loadbalancer/net/l/1 sg-1\n" // written by the previous version
	r := Record{}
	r.Set(Decode(old))
	if got := r.Entries()[StackKey(model.ServiceStackID("ns", "web"))]; !cmp.Equal(got, []string{"loadbalancer/net/l/1", "sg-1"}) {
		t.Errorf("the old record's Service stack reads %v", got)
	}
	if Encode(r.Entries()) != old {
		t.Errorf("the old record is written back as %q", Encode(r.Entries()))
	}
}
