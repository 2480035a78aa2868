package manager

import (
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// ReasonMissingIAMPermission is the reason of the event on kelb's Pod.
const ReasonMissingIAMPermission = "MissingIAMPermission"

// reportAccessDeniedOnPod puts a Warning event on kelb's own Pod for the
// first refusal of each AWS operation, naming the permission, when the Pod
// is known (POD_NAME and POD_NAMESPACE, from the downward API): where an
// operator looks when a controller misbehaves. The reconciled object gets
// its own event from its controller.
func reportAccessDeniedOnPod(clients *awsclient.Clients, recorder events.EventRecorder) {
	name, namespace := os.Getenv("POD_NAME"), os.Getenv("POD_NAMESPACE")
	if name == "" || namespace == "" {
		return
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	clients.OnAccessDenied(func(d awsclient.AccessDenied) {
		recorder.Eventf(pod, nil, corev1.EventTypeWarning, ReasonMissingIAMPermission, "CallAWS",
			"missing IAM permission %s: AWS refused %s %s; kelb retries with backoff until the policy grants it",
			d.Permission, d.Service, d.Operation)
	})
}
