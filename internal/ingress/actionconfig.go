package ingress

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// The JSON of LBC's actions.<name> and conditions.<name> annotations, as
// users write it. Go's JSON decoder matches names without regard to case,
// as LBC's does, so both LBC's documented spellings ("type",
// "forwardConfig") and the older capitalized ones ("Type",
// "RedirectConfig") read the same; unknown fields are ignored, as LBC
// ignores them.

// Annotation prefixes keyed by the backend's Service name.
const (
	AnnActionsPrefix    = Prefix + "actions."
	AnnConditionsPrefix = Prefix + "conditions."
)

type actionConfig struct {
	Type                string                     `json:"type"`
	TargetGroupARN      *string                    `json:"targetGroupARN"`
	TargetGroupName     *string                    `json:"targetGroupName"`
	ForwardConfig       *forwardActionConfig       `json:"forwardConfig"`
	RedirectConfig      *redirectActionConfig      `json:"redirectConfig"`
	FixedResponseConfig *fixedResponseActionConfig `json:"fixedResponseConfig"`
}

type forwardActionConfig struct {
	TargetGroups                []targetGroupTuple `json:"targetGroups"`
	TargetGroupStickinessConfig *stickinessConfig  `json:"targetGroupStickinessConfig"`
}

type targetGroupTuple struct {
	TargetGroupARN  *string             `json:"targetGroupARN"`
	TargetGroupName *string             `json:"targetGroupName"`
	ServiceName     *string             `json:"serviceName"`
	ServicePort     *intstr.IntOrString `json:"servicePort"`
	Weight          *int64              `json:"weight"`
}

type stickinessConfig struct {
	Enabled         *bool  `json:"enabled"`
	DurationSeconds *int64 `json:"durationSeconds"`
}

type redirectActionConfig struct {
	Protocol   *string `json:"protocol"`
	Host       *string `json:"host"`
	Port       *string `json:"port"`
	Path       *string `json:"path"`
	Query      *string `json:"query"`
	StatusCode string  `json:"statusCode"`
}

type fixedResponseActionConfig struct {
	ContentType *string `json:"contentType"`
	MessageBody *string `json:"messageBody"`
	StatusCode  string  `json:"statusCode"`
}

type conditionConfig struct {
	Field                   string             `json:"field"`
	HostHeaderConfig        *valuesConfig      `json:"hostHeaderConfig"`
	PathPatternConfig       *valuesConfig      `json:"pathPatternConfig"`
	HTTPHeaderConfig        *httpHeaderConfig  `json:"httpHeaderConfig"`
	HTTPRequestMethodConfig *valuesConfig      `json:"httpRequestMethodConfig"`
	QueryStringConfig       *queryStringConfig `json:"queryStringConfig"`
	SourceIPConfig          *valuesConfig      `json:"sourceIPConfig"`
}

type valuesConfig struct {
	Values      []string `json:"values"`
	RegexValues []string `json:"regexValues"`
}

type httpHeaderConfig struct {
	HTTPHeaderName string   `json:"httpHeaderName"`
	Values         []string `json:"values"`
	RegexValues    []string `json:"regexValues"`
}

type queryStringConfig struct {
	Values []queryStringPair `json:"values"`
}

type queryStringPair struct {
	Key   *string `json:"key"`
	Value string  `json:"value"`
}

// configError is a wrong field inside an annotation's JSON: path is the
// field's place in the JSON ("forwardConfig.targetGroups[1].weight").
func configError(annotation, path, value, allowed string) *FieldError {
	field := annotation
	if path != "" {
		field = fmt.Sprintf("%s (%s)", annotation, path)
	}
	return &FieldError{Field: field, Value: value, Allowed: allowed}
}
