package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// TestVPCEndpointAcceptanceAndFailure: pendingAcceptance shows as it is
// (synced, not ready), the provider's acceptance shows within seconds, and
// rejected/failed endpoints are terminal with a warning event.
func TestVPCEndpointAcceptanceAndFailure(t *testing.T) {
	env.Proxy.VPCEndpoints.RequireAcceptance(partnerService)
	cl := newCluster(t, 1)
	cl.startKelb()
	cl.createEndpoint("partner", partnerService, cl.interfaceEndpoint(partnerService))
	cl.createEndpoint("rejected", partnerService, cl.interfaceEndpoint(partnerService))
	cl.createEndpoint("failing", partnerService, cl.interfaceEndpoint(partnerService))
	e, _ := cl.waitEndpoint("partner", 10*time.Second, "pendingAcceptance", stateIs("pendingAcceptance"))
	if s, r := conditionOf(e, vpcendpoint.ConditionSynced), conditionOf(e, vpcendpoint.ConditionReady); s != "True/PendingAcceptance" || r != "False/PendingAcceptance" {
		t.Errorf("pendingAcceptance: synced %s, ready %s", s, r)
	}
	if msg := aws.ToString(vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionReady).Message); !strings.Contains(msg, partnerService) {
		t.Errorf("Ready's message does not name the service: %q", msg)
	}
	time.Sleep(3 * time.Second) // well past any first-read effect
	accepted := time.Now()
	env.Proxy.VPCEndpoints.Accept(aws.ToString(e.Status.VPCEndpointID))
	e, seen := cl.waitEndpoint("partner", 10*time.Second, "available", stateIs("available"))
	lag := seen.Sub(accepted)
	t.Logf("acceptance seen after %s", lag.Round(time.Millisecond))
	if lag > 5*time.Second {
		t.Errorf("acceptance seen after %s", lag)
	}
	if got := conditionOf(e, vpcendpoint.ConditionReady); got != "True/Available" {
		t.Errorf("Ready after acceptance: %s", got)
	}

	r, _ := cl.waitEndpoint("rejected", 10*time.Second, "pendingAcceptance", stateIs("pendingAcceptance"))
	env.Proxy.VPCEndpoints.Fail(aws.ToString(r.Status.VPCEndpointID), "rejected")
	r, _ = cl.waitEndpoint("rejected", 10*time.Second, "rejected", stateIs("rejected"))
	if got := conditionOf(r, vpcendpoint.ConditionTerminal); got != "True/Rejected" {
		t.Errorf("terminal when rejected: %s (%s)", got, describeEndpoint(r))
	}
	f, _ := cl.waitEndpoint("failing", 10*time.Second, "pendingAcceptance", stateIs("pendingAcceptance"))
	env.Proxy.VPCEndpoints.Fail(aws.ToString(f.Status.VPCEndpointID), "failed")
	e, _ = cl.waitEndpoint("failing", 10*time.Second, "failed", stateIs("failed"))
	if got := conditionOf(e, vpcendpoint.ConditionReady); got != "False/Failed" {
		t.Errorf("Ready when failed: %s", got)
	}
	cl.wantEvent("rejected", corev1.EventTypeWarning, "StateChanged", "pendingAcceptance -> rejected")
}

// TestVPCEndpointBadInput: a service that does not exist, a malformed VPC
// id and an unknown annotation value are terminal, say what is wrong, are
// not retried in a loop and do not hold up a good endpoint.
func TestVPCEndpointBadInput(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()
	t0 := time.Now()
	cl.createEndpoint("no-such-service", "com.amazonaws.us-west-2.no-such-service", cl.interfaceEndpoint("com.amazonaws.us-west-2.no-such-service"))
	cl.createEndpoint("bad-vpc", s3Service, cl.interfaceEndpoint(s3Service), func(e *v1alpha1.VPCEndpoint) { e.Spec.VPCID = aws.String("MalformedVpcId") })
	cl.createEndpoint("bad-annotation", s3Service, cl.interfaceEndpoint(s3Service), withAnnotation(vpcendpoint.AnnotationDeletionPolicy, "keep"))
	cl.createEndpoint("good", s3Service, cl.interfaceEndpoint(s3Service))
	// AWS's errors read as ACK shows them (its tests match these words).
	for name, want := range map[string]string{
		"no-such-service": "api error InvalidServiceName: The Vpc Endpoint Service 'com.amazonaws.us-west-2.no-such-service' does not exist",
		"bad-vpc": "api error InvalidVpcId.Malformed: Invalid Id: 'MalformedVpcId' (expecting 'vpc-...; the Id may only " +
			"contain lowercase alphanumeric characters and a single dash')",
		"bad-annotation": "services.k8s.aws/deletion-policy: \"keep\" is not valid; allowed: delete, retain"} {
		e, _ := cl.waitEndpoint(name, 10*time.Second, "terminal", func(e *v1alpha1.VPCEndpoint) bool {
			return strings.HasPrefix(conditionOf(e, vpcendpoint.ConditionTerminal), "True/")
		})
		if msg := aws.ToString(vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionTerminal).Message); !strings.Contains(msg, want) {
			t.Errorf("%s: terminal message %q does not say %q", name, msg, want)
		}
		if got := conditionOf(e, vpcendpoint.ConditionReady); !strings.HasPrefix(got, "False/") {
			t.Errorf("%s: Ready %s", name, got)
		}
		cl.wantEvent(name, corev1.EventTypeWarning, "", want)
	}
	cl.waitEndpoint("good", 10*time.Second, "available", stateIs("available"))
	time.Sleep(5 * time.Second)
	if n := cl.kelbCalls(t0, "CreateVpcEndpoint"); n != 3 {
		t.Errorf("%d creates: want one for the good endpoint and one refused for each bad one (no retry loop)", n)
	}
	if n := len(cl.liveEndpoints()); n != 1 {
		t.Errorf("%d live endpoints, want 1", n)
	}
	// Fixing the annotation lets it through.
	cl.updateEndpoint("bad-annotation", func(e *v1alpha1.VPCEndpoint) { e.Annotations[vpcendpoint.AnnotationDeletionPolicy] = "retain" })
	e, _ := cl.waitEndpoint("bad-annotation", 10*time.Second, "available", stateIs("available"))
	if got := conditionOf(e, vpcendpoint.ConditionTerminal); got != "" {
		t.Errorf("terminal after the fix: %s", got)
	}
}

// wantEvent waits for an event on the VPCEndpoint with the type, reason
// ("" for any) and a note containing text.
func (cl *cluster) wantEvent(name, kind, reason, text string) {
	cl.t.Helper()
	var seen []string
	eventually(cl.t, 10*time.Second, "event "+text, func() (bool, string) {
		var list eventsv1.EventList
		if err := cl.c.List(cl.t.Context(), &list, client.InNamespace("default")); err != nil {
			return false, err.Error()
		}
		seen = seen[:0]
		for _, ev := range list.Items {
			if ev.Regarding.Name != name || ev.Regarding.Kind != "VPCEndpoint" {
				continue
			}
			seen = append(seen, ev.Type+"/"+ev.Reason+": "+ev.Note)
			if ev.Type == kind && (reason == "" || ev.Reason == reason) && strings.Contains(ev.Note, text) {
				return true, ""
			}
		}
		return false, strings.Join(seen, "; ")
	})
}
