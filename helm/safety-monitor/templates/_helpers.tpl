{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "safety-monitor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release-chart unless the release name already contains the chart name. The Flink
operator derives further names (<name>-rest, <name>-config-map, <name>-taskmanager-1-1) from it,
so keep it well under 63 when overriding.
*/}}
{{- define "safety-monitor.fullname" -}}
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

{{- define "safety-monitor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "safety-monitor.labels" -}}
helm.sh/chart: {{ include "safety-monitor.chart" . }}
{{ include "safety-monitor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: safety-monitor
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Immutable labels that select this release's Flink pods (PodMonitor, NetworkPolicy). */}}
{{- define "safety-monitor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "safety-monitor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "safety-monitor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "safety-monitor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "flink" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "safety-monitor.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- if or (not .Values.image.tag) (eq (toString .Values.image.tag) "latest") }}
{{- fail "image.tag must be a pinned version (not empty, not latest): a savepoint upgrade must know which code it restores into" }}
{{- end }}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The job spec as mounted: values.jobSpec with the keys the chart owns injected, so the job and the
Flink deployment cannot disagree on parallelism or the metrics port the PodMonitor scrapes.
*/}}
{{- define "safety-monitor.jobSpec" -}}
{{- $spec := deepCopy .Values.jobSpec }}
{{- $owned := dict "flink" (dict "parallelism" .Values.job.parallelism) "metrics" (dict "port" .Values.metrics.jobPort) }}
{{- toYaml (mergeOverwrite $spec $owned) }}
{{- end }}

{{- define "safety-monitor.jobSpecPath" -}}
/opt/safety-monitor/job.yaml
{{- end }}

{{- define "safety-monitor.storageBase" -}}
{{- .Values.storage.baseDir | trimSuffix "/" }}
{{- end }}
