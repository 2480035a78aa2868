{{/* The chart's name. */}}
{{- define "kelb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the chart's objects: the release name when it holds the
chart's name (release "kelb" gives "kelb", kelb's default object names).
*/}}
{{- define "kelb.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kelb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kelb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kelb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kelb.labels" -}}
helm.sh/chart: {{ include "kelb.chart" . }}
{{ include "kelb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.additionalLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The ServiceAccount kelb runs as. */}}
{{- define "kelb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kelb.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Names kelb is told by flag, so that the chart and kelb agree. */}}
{{- define "kelb.webhookServiceName" -}}
{{- printf "%s-webhook-service" (include "kelb.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "kelb.webhookConfigName" -}}
{{- printf "%s-webhook" (include "kelb.fullname" .) }}
{{- end }}
{{- define "kelb.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "kelb.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* clusterName, or a render failure that says what to set. */}}
{{- define "kelb.clusterName" -}}
{{- required "clusterName is required: set it to the cluster's name (--set clusterName=<name>), the name LBC used for this cluster when switching" .Values.clusterName }}
{{- end }}

{{/* key=value,... of a map, sorted by key. */}}
{{- define "kelb.keyValues" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%v" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
kelb's flags. A value left empty (or null) passes no flag, so kelb's own
default (LBC's, for LBC's flags) is in force.
*/}}
{{- define "kelb.args" -}}
{{- $v := .Values }}
{{- $backendSG := $v.enableBackendSG }}
{{- if or (kindIs "invalid" $backendSG) (eq (toString $backendSG) "") }}
{{- $backendSG = $v.enableBackendSecurityGroup }}
{{- end }}
{{- $optional := list
  (list "aws-region" $v.region)
  (list "aws-vpc-id" $v.vpcId)
  (list "aws-api-endpoints" $v.awsApiEndpoints)
  (list "aws-api-throttle" $v.awsApiThrottle)
  (list "aws-max-retries" $v.awsMaxRetries)
  (list "ingress-class" $v.ingressClass)
  (list "load-balancer-class" $v.loadBalancerClass)
  (list "default-target-type" $v.defaultTargetType)
  (list "default-ssl-policy" $v.defaultSSLPolicy)
  (list "default-tags" (include "kelb.keyValues" $v.defaultTags))
  (list "external-managed-tags" (join "," ($v.externalManagedTags | default list)))
  (list "enable-backend-security-group" $backendSG)
  (list "backend-security-group" $v.backendSecurityGroup)
  (list "disable-restricted-sg-rules" $v.disableRestrictedSecurityGroupRules)
  (list "enable-pod-readiness-gate-inject" $v.enablePodReadinessGateInject)
  (list "enable-shield" $v.enableShield)
  (list "enable-waf" $v.enableWaf)
  (list "enable-wafv2" $v.enableWafv2)
  (list "ingress-max-concurrent-reconciles" $v.ingressMaxConcurrentReconciles)
  (list "service-max-concurrent-reconciles" $v.serviceMaxConcurrentReconciles)
  (list "targetgroupbinding-max-concurrent-reconciles" $v.targetgroupbindingMaxConcurrentReconciles)
  (list "targetgroupbinding-max-exponential-backoff-delay" $v.targetgroupbindingMaxExponentialBackoffDelay)
  (list "sync-period" $v.syncPeriod)
  (list "watch-namespace" $v.watchNamespace)
  (list "disable-ingress-class-annotation" $v.disableIngressClassAnnotation)
  (list "disable-ingress-group-name-annotation" $v.disableIngressGroupNameAnnotation)
  (list "log-level" $v.logLevel)
  (list "feature-gates" (include "kelb.keyValues" (($v.controllerConfig | default dict).featureGates | default dict)))
  (list "drift-period" $v.driftPeriod)
  (list "orphan-sweep" $v.orphanSweep)
  (list "orphan-sweep-interval" $v.orphanSweepInterval)
  (list "orphan-grace-period" $v.orphanGracePeriod)
  (list "deletion-policy" $v.deletionPolicy)
  (list "enable-ingress" $v.enableIngress)
}}
{{- $args := list (printf "--cluster-name=%s" (include "kelb.clusterName" .)) }}
{{- range $optional }}
{{- $value := index . 1 }}
{{- if and (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
{{- $args = append $args (printf "--%s=%v" (index . 0) $value) }}
{{- end }}
{{- end }}
{{- /* The Lease, the ownership record and the webhook's Secret live in the
release namespace, where the chart's Role grants them. */}}
{{- $args = concat $args (list
  (printf "--metrics-bind-addr=:%v" $v.metricsBindPort)
  (printf "--health-probe-bind-addr=:%v" $v.healthProbeBindPort)
  "--enable-leader-election=true"
  (printf "--leader-election-id=%s" $v.leaderElectionId)
  (printf "--leader-election-namespace=%s" .Release.Namespace)
  (printf "--webhook-bind-port=%v" $v.webhookBindPort)
  (printf "--webhook-service-name=%s" (include "kelb.webhookServiceName" .))
  (printf "--webhook-service-namespace=%s" .Release.Namespace)
  (printf "--webhook-secret-name=%s" (include "kelb.webhookSecretName" .))
  (printf "--webhook-config-name=%s" (include "kelb.webhookConfigName" .))) }}
{{- if $v.enableCertManager }}
{{- $args = append $args "--webhook-cert-dir=/etc/kelb/webhook-certs" }}
{{- end }}
{{- $args = concat $args ($v.extraArgs | default list) }}
{{- toYaml $args }}
{{- end }}
