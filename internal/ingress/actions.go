package ingress

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/model"
)

// AWS's limits on actions, checked before any call.
const (
	maxForwardTargetGroups = 5
	maxForwardWeight       = 999
	maxStickinessSeconds   = 604800
	maxRedirectPart        = 128
	maxFixedResponseBody   = 1024
)

var (
	targetGroupARNPattern = regexp.MustCompile(`^arn:[^:]+:elasticloadbalancing:[^:]+:[0-9]{12}:targetgroup/[^/]+/[^/]+$`)
	fixedStatusPattern    = regexp.MustCompile(`^[245][0-9][0-9]$`)
	fixedContentTypes     = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
)

// backendActions are the actions of a rule (or a listener's default) for
// a backend: the action of annotation actions.<service name> when the
// port name is use-annotation, else a forward to the backend's target
// group.
func (b *builder) backendActions(m member, field string, be networkingv1.IngressBackend) ([]model.Action, error) {
	if be.Service != nil && be.Service.Port.Name == useAnnotationPortName {
		a, err := b.annotationAction(m, field, be.Service.Name)
		if err != nil {
			return nil, err
		}
		return []model.Action{a}, nil
	}
	tg, err := b.targetGroupFor(m, field, be)
	if err != nil {
		return nil, err
	}
	return []model.Action{model.ForwardTo(tg)}, nil
}

// annotationAction reads, checks and builds the action of annotation
// actions.<name>. LBC answers a missing annotation with a 503 fixed
// response; kelb refuses the Ingress instead, as it refuses a missing
// Service, so a typo never replaces a working rule.
func (b *builder) annotationAction(m member, field, name string) (model.Action, error) {
	key := AnnActionsPrefix + name
	raw, ok := m.ing.Annotations[key]
	if !ok {
		return model.Action{}, &FieldError{Field: field + ".service.port.name", Value: useAnnotationPortName,
			Allowed: "a port of Service " + name + ", or use-annotation with an annotation " + key + " holding the action"}
	}
	var cfg actionConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return model.Action{}, &AnnotationError{Annotation: key, Value: raw,
			Allowed: `a JSON action object: {"type": "forward", "forwardConfig": {...}}, ` +
				`{"type": "redirect", "redirectConfig": {...}} or {"type": "fixed-response", "fixedResponseConfig": {...}}`}
	}
	switch cfg.Type {
	case model.ActionForward:
		return b.forwardAction(m, key, cfg)
	case model.ActionRedirect:
		return redirectAction(key, cfg.RedirectConfig)
	case model.ActionFixedResponse:
		return fixedResponseAction(key, cfg.FixedResponseConfig)
	}
	return model.Action{}, configError(key, "type", cfg.Type, "forward, redirect, fixed-response")
}

// forwardAction builds a forward to target groups by ARN or by Service
// (whose target groups and bindings the stack gets, as for any backend).
func (b *builder) forwardAction(m member, key string, cfg actionConfig) (model.Action, error) {
	if cfg.TargetGroupName != nil {
		return model.Action{}, configError(key, "targetGroupName", *cfg.TargetGroupName,
			"targetGroupARN or forwardConfig (target groups by name are not served yet)")
	}
	if (cfg.TargetGroupARN != nil) == (cfg.ForwardConfig != nil) {
		return model.Action{}, configError(key, "forwardConfig", "", "exactly one of targetGroupARN and forwardConfig")
	}
	fc := cfg.ForwardConfig
	if cfg.TargetGroupARN != nil {
		fc = &forwardActionConfig{TargetGroups: []targetGroupTuple{{TargetGroupARN: cfg.TargetGroupARN}}}
	}
	if n := len(fc.TargetGroups); n == 0 || n > maxForwardTargetGroups {
		return model.Action{}, configError(key, "forwardConfig.targetGroups", strconv.Itoa(n)+" target groups",
			fmt.Sprintf("1 to %d target groups", maxForwardTargetGroups))
	}
	fwd := &model.ForwardAction{}
	seen := map[string]bool{}
	for i, t := range fc.TargetGroups {
		path := fmt.Sprintf("forwardConfig.targetGroups[%d]", i)
		if t.TargetGroupName != nil {
			return model.Action{}, configError(key, path+".targetGroupName", *t.TargetGroupName,
				"targetGroupARN or serviceName and servicePort (target groups by name are not served yet)")
		}
		if (t.TargetGroupARN != nil) == (t.ServiceName != nil) {
			return model.Action{}, configError(key, path, "", "exactly one of targetGroupARN and serviceName")
		}
		wtg := model.WeightedTargetGroup{}
		if t.Weight != nil {
			if *t.Weight < 0 || *t.Weight > maxForwardWeight {
				return model.Action{}, configError(key, path+".weight", strconv.FormatInt(*t.Weight, 10),
					fmt.Sprintf("0 to %d", maxForwardWeight))
			}
			w := int32(*t.Weight)
			wtg.Weight = &w
		} else if len(fc.TargetGroups) > 1 {
			return model.Action{}, configError(key, path+".weight", "",
				fmt.Sprintf("a weight from 0 to %d on every target group when there are several", maxForwardWeight))
		}
		var id string
		if t.TargetGroupARN != nil {
			arn := *t.TargetGroupARN
			if !targetGroupARNPattern.MatchString(arn) {
				return model.Action{}, configError(key, path+".targetGroupARN", arn,
					"a target group ARN (arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)")
			}
			if found := b.in.Facts.TargetGroupsFound; found != nil && !found[arn] {
				return model.Action{}, &FieldError{Field: key + " (" + path + ".targetGroupARN)", Value: arn,
					External: true, Allowed: "the ARN of an existing target group"}
			}
			wtg.TargetGroupARN, id = arn, arn
		} else {
			if t.ServicePort == nil {
				return model.Action{}, configError(key, path+".servicePort", "", "a port name or number of Service "+
					*t.ServiceName)
			}
			// LBC reads "80" as the number 80 (the old controller wrote
			// ports as strings).
			port := intstr.Parse(t.ServicePort.String())
			ref := networkingv1.ServiceBackendPort{Name: port.StrVal}
			if port.Type == intstr.Int {
				ref = networkingv1.ServiceBackendPort{Number: port.IntVal}
			}
			tg, err := b.targetGroupForService(m, key+" ("+path+".serviceName)", key+" ("+path+".servicePort)",
				*t.ServiceName, ref)
			if err != nil {
				return model.Action{}, err
			}
			wtg.TargetGroupID, id = tg, tg
		}
		if seen[id] {
			return model.Action{}, configError(key, path, id, "each target group once")
		}
		seen[id] = true
		fwd.TargetGroups = append(fwd.TargetGroups, wtg)
	}
	if s := fc.TargetGroupStickinessConfig; s != nil {
		st := &model.ForwardStickiness{Enabled: s.Enabled != nil && *s.Enabled}
		if s.DurationSeconds != nil {
			if d := *s.DurationSeconds; d < 1 || d > maxStickinessSeconds {
				return model.Action{}, configError(key, "forwardConfig.targetGroupStickinessConfig.durationSeconds",
					strconv.FormatInt(d, 10), fmt.Sprintf("1 to %d seconds", maxStickinessSeconds))
			}
			if st.Enabled {
				st.DurationSeconds = int32(*s.DurationSeconds)
			}
		} else if st.Enabled {
			return model.Action{}, configError(key, "forwardConfig.targetGroupStickinessConfig.durationSeconds", "",
				fmt.Sprintf("1 to %d seconds, required when stickiness is enabled", maxStickinessSeconds))
		}
		fwd.Stickiness = st
	}
	return model.Action{Type: model.ActionForward, Forward: fwd}, nil
}

// redirectAction checks a redirect as AWS would: the status code, each
// part's form, and that it changes the protocol, port, host or path.
func redirectAction(key string, cfg *redirectActionConfig) (model.Action, error) {
	if cfg == nil {
		return model.Action{}, configError(key, "redirectConfig", "", "a redirectConfig object for type redirect")
	}
	if cfg.StatusCode != "HTTP_301" && cfg.StatusCode != "HTTP_302" {
		return model.Action{}, configError(key, "redirectConfig.statusCode", cfg.StatusCode, "HTTP_301, HTTP_302")
	}
	r := &model.RedirectAction{StatusCode: cfg.StatusCode}
	changes := false
	if p := cfg.Protocol; p != nil {
		if !slices.Contains([]string{ProtocolHTTP, ProtocolHTTPS, "#{protocol}"}, *p) {
			return model.Action{}, configError(key, "redirectConfig.protocol", *p, "HTTP, HTTPS, #{protocol}")
		}
		r.Protocol, changes = *p, changes || *p != "#{protocol}"
	}
	if p := cfg.Port; p != nil {
		if n, err := strconv.Atoi(*p); *p != "#{port}" && (err != nil || n < 1 || n > 65535) {
			return model.Action{}, configError(key, "redirectConfig.port", *p, "a port from 1 to 65535, or #{port}")
		}
		r.Port, changes = *p, changes || *p != "#{port}"
	}
	if h := cfg.Host; h != nil {
		if len(*h) < 1 || len(*h) > maxRedirectPart {
			return model.Action{}, configError(key, "redirectConfig.host", *h,
				fmt.Sprintf("a host name of 1 to %d characters (#{host} keeps the request's)", maxRedirectPart))
		}
		r.Host, changes = *h, changes || *h != "#{host}"
	}
	if p := cfg.Path; p != nil {
		if !strings.HasPrefix(*p, "/") || len(*p) > maxRedirectPart {
			return model.Action{}, configError(key, "redirectConfig.path", *p,
				fmt.Sprintf("an absolute path of 1 to %d characters, starting with / (/#{path} keeps the request's)",
					maxRedirectPart))
		}
		r.Path, changes = *p, changes || *p != "/#{path}"
	}
	if q := cfg.Query; q != nil {
		// An empty query (drop the request's) cannot be told apart from
		// none in kelb's model yet.
		if len(*q) < 1 || len(*q) > maxRedirectPart || strings.HasPrefix(*q, "?") {
			return model.Action{}, configError(key, "redirectConfig.query", *q,
				fmt.Sprintf("a query of 1 to %d characters without the leading ? (#{query} keeps the request's)",
					maxRedirectPart))
		}
		r.Query = *q
	}
	if !changes {
		return model.Action{}, configError(key, "redirectConfig", "",
			"a redirect that changes the protocol, port, host or path (AWS refuses one that would redirect to itself)")
	}
	return model.Action{Type: model.ActionRedirect, Redirect: r}, nil
}

// fixedResponseAction checks a fixed response as AWS would.
func fixedResponseAction(key string, cfg *fixedResponseActionConfig) (model.Action, error) {
	if cfg == nil {
		return model.Action{}, configError(key, "fixedResponseConfig", "",
			"a fixedResponseConfig object for type fixed-response")
	}
	if !fixedStatusPattern.MatchString(cfg.StatusCode) {
		return model.Action{}, configError(key, "fixedResponseConfig.statusCode", cfg.StatusCode,
			"an HTTP status code 2XX, 4XX or 5XX")
	}
	f := &model.FixedResponseAction{StatusCode: cfg.StatusCode}
	if c := cfg.ContentType; c != nil {
		if !slices.Contains(fixedContentTypes, *c) {
			return model.Action{}, configError(key, "fixedResponseConfig.contentType", *c,
				strings.Join(fixedContentTypes, ", "))
		}
		f.ContentType = *c
	}
	if body := cfg.MessageBody; body != nil {
		if len(*body) > maxFixedResponseBody {
			return model.Action{}, configError(key, "fixedResponseConfig.messageBody",
				strconv.Itoa(len(*body))+" characters", fmt.Sprintf("at most %d characters", maxFixedResponseBody))
		}
		f.MessageBody = *body
	}
	return model.Action{Type: model.ActionFixedResponse, FixedResponse: f}, nil
}

// ActionServiceNames are the Services the Ingress's actions.<name>
// annotations forward to (forwardConfig.targetGroups[].serviceName), so
// the controller reads and watches them as it does backends. Annotations
// that do not parse name none: the build refuses them.
func ActionServiceNames(ing *networkingv1.Ingress) []string {
	var names []string
	for _, t := range actionTargetGroups(ing) {
		if t.ServiceName != nil && *t.ServiceName != "" {
			names = append(names, *t.ServiceName)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// actionTargetGroupARNs are the target groups the Ingress's actions.<name>
// annotations name by ARN, sorted, for Query.
func actionTargetGroupARNs(ing *networkingv1.Ingress) []string {
	var arns []string
	for _, t := range actionTargetGroups(ing) {
		if t.TargetGroupARN != nil && targetGroupARNPattern.MatchString(*t.TargetGroupARN) {
			arns = append(arns, *t.TargetGroupARN)
		}
	}
	slices.Sort(arns)
	return slices.Compact(arns)
}

// actionTargetGroups are the target groups of the forward actions of the
// Ingress's actions.<name> annotations that parse (both forms).
func actionTargetGroups(ing *networkingv1.Ingress) []targetGroupTuple {
	var out []targetGroupTuple
	for key, raw := range ing.Annotations {
		if !strings.HasPrefix(key, AnnActionsPrefix) {
			continue
		}
		var cfg actionConfig
		if json.Unmarshal([]byte(raw), &cfg) != nil || cfg.Type != model.ActionForward {
			continue
		}
		if cfg.TargetGroupARN != nil {
			out = append(out, targetGroupTuple{TargetGroupARN: cfg.TargetGroupARN})
		}
		if cfg.ForwardConfig != nil {
			out = append(out, cfg.ForwardConfig.TargetGroups...)
		}
	}
	return out
}
