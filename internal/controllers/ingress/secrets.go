package ingress

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/ingress"
)

// EventAuthenticationSkipped is kelb's Warning where LBC is silent: the
// Ingress asks for authentication and has HTTP listeners with rules, on
// which AWS (and so LBC and kelb) authenticates nothing.
const EventAuthenticationSkipped = "AuthenticationSkipped"

// oidcClients reads the OIDC Secrets the Ingress's (and its backend
// Services') auth-idp-oidc annotations name, straight from the API
// server, and has them watched. A missing Secret is left out: the build
// refuses the Ingress naming it, and its creation re-queues the Ingress.
// Nothing read here is logged or shown: errors name the Secret only.
func (c *Controller) oidcClients(ctx context.Context, ing *networkingv1.Ingress,
	services map[string]*corev1.Service) (map[string]ingress.OIDCClient, error) {
	names := ingress.OIDCSecretNames(ing, services)
	c.SecretWatch.Track(client.ObjectKeyFromObject(ing), names)
	if len(names) == 0 {
		return nil, nil
	}
	if c.Secrets == nil {
		return nil, fmt.Errorf("Secrets %s cannot be read: no Secret reader", strings.Join(names, ", "))
	}
	out := map[string]ingress.OIDCClient{}
	for _, name := range names {
		var s corev1.Secret
		err := c.Secrets.Get(ctx, client.ObjectKey{Namespace: ing.Namespace, Name: name}, &s)
		if client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("reading Secret %s/%s: %w", ing.Namespace, name, err)
		}
		if err == nil {
			out[name] = ingress.ClientFromSecret(&s)
		}
	}
	return out, nil
}

// reportAuthSkipped warns when the Ingress's authentication is not applied
// on some of its HTTP listeners, as LBC silently does.
func (c *Controller) reportAuthSkipped(ctx context.Context, ing *networkingv1.Ingress, class ingress.Class) {
	services, err := c.backendServices(ctx, ing)
	if err != nil {
		return
	}
	ports := ingress.AuthSkippedOnHTTP(c.Config, ing, class, services)
	if len(ports) == 0 {
		return
	}
	var list []string
	for _, p := range ports {
		list = append(list, strconv.Itoa(int(p)))
	}
	c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventAuthenticationSkipped, "Reconcile",
		"authentication (%s) is not applied on HTTP listener port %s: AWS authenticates on HTTPS listeners only; "+
			"requests there reach the backend unauthenticated (set ssl-redirect, or listen on HTTPS only)",
		ingress.AnnAuthType, strings.Join(list, ", "))
}
