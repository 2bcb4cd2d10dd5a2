{{/* Names and labels. */}}
{{- define "meshwarden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meshwarden.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "meshwarden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshwarden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meshwarden.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "meshwarden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: meshwarden
{{- end -}}

{{- define "meshwarden.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "meshwarden.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: name the existing ServiceAccount to use when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "meshwarden.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The engine's configuration (kind ServiceConfig, src/config/service-config.ts), as YAML. Optional
keys are left out rather than rendered empty: the engine's schema is strict and "" is not a URL.
*/}}
{{- define "meshwarden.serviceConfig" -}}
{{- $c := .Values.config -}}
{{- $kafka := dict "brokers" $c.kafka.brokers "clientId" $c.kafka.clientId "groupId" $c.kafka.groupId "ssl" $c.kafka.ssl "topics" $c.kafka.topics "checkpointEvery" $c.kafka.checkpointEvery "sessionTimeout" $c.kafka.sessionTimeout "heartbeatInterval" $c.kafka.heartbeatInterval -}}
{{- if $c.kafka.sasl -}}
{{- $_ := set $kafka "sasl" $c.kafka.sasl -}}
{{- end -}}
{{- $vault := dict "enabled" $c.vault.enabled "kubernetesMount" $c.vault.kubernetesMount "serviceAccountTokenFile" "/var/run/secrets/kubernetes.io/serviceaccount/token" -}}
{{- if $c.vault.address -}}
{{- $_ := set $vault "address" $c.vault.address -}}
{{- else if $c.vault.enabled -}}
{{- fail "config.vault.address: set the Vault address (e.g. http://vault.vault.svc:8200) when config.vault.enabled is true" -}}
{{- end -}}
{{- if $c.vault.kubernetesRole -}}
{{- $_ := set $vault "kubernetesRole" $c.vault.kubernetesRole -}}
{{- end -}}
{{- $ledger := dict "checkpointEvery" (default "0s" $c.ledger.checkpointEvery) -}}
{{- if and .Values.secrets.ledger.existingSecret $c.ledger.transitKey -}}
{{- fail "config.ledger.transitKey and secrets.ledger.existingSecret: sign the ledger with one key, not both" -}}
{{- else if .Values.secrets.ledger.existingSecret -}}
{{- $_ := set $ledger "key" (printf "file:/etc/meshwarden-ledger/%s" .Values.secrets.ledger.key) -}}
{{- else if $c.ledger.transitKey -}}
{{- if not $c.vault.enabled -}}
{{- fail "config.ledger.transitKey: signing with Vault transit needs config.vault.enabled" -}}
{{- end -}}
{{- $_ := set $ledger "key" (printf "transit:%s" $c.ledger.transitKey) -}}
{{- end -}}
{{- $consoleTokens := list -}}
{{- range .Values.secrets.console.tokens -}}
{{- $consoleTokens = append $consoleTokens (dict "name" .name "user" .user "file" (printf "/etc/meshwarden-console/%s" .key)) -}}
{{- end -}}
{{- if and $consoleTokens (not .Values.secrets.console.existingSecret) -}}
{{- fail "secrets.console.tokens: name the Secret holding them in secrets.console.existingSecret" -}}
{{- end -}}
{{- $slack := dict "enabled" $c.slack.enabled "mode" $c.slack.mode "refusalsChannel" $c.slack.refusalsChannel "releasers" (dict "users" $c.slack.releasers.users "groups" $c.slack.releasers.groups) "silencers" (dict "users" $c.slack.silencers.users "groups" $c.slack.silencers.groups) -}}
{{- if $c.slack.apiUrl -}}
{{- $_ := set $slack "apiUrl" $c.slack.apiUrl -}}
{{- end -}}
{{- $p := .Values.policy -}}
{{- $sidecar := $p.opa.sidecar -}}
{{- $policy := dict "enabled" (or $p.enabled $sidecar.enabled) "path" $p.path "timeout" $p.timeout "cacheSize" (int $p.cacheSize) "cacheTtl" $p.cacheTtl -}}
{{- if $sidecar.enabled -}}
{{- $_ := set $policy "url" (printf "http://127.0.0.1:%d" (int $sidecar.port)) -}}
{{- else if $p.url -}}
{{- $_ := set $policy "url" $p.url -}}
{{- else if $p.enabled -}}
{{- fail "policy.url: set the URL of your OPA (e.g. http://opa.opa.svc:8181) when policy.enabled is true, or enable policy.opa.sidecar" -}}
{{- else -}}
{{- $_ := set $policy "url" "http://127.0.0.1:8181" -}}
{{- end -}}
{{- $o := $c.outputs -}}
{{- $am := dict "enabled" $o.alertmanager.enabled "resendInterval" $o.alertmanager.resendInterval "timeout" $o.alertmanager.timeout "labels" (default (dict) $o.alertmanager.labels) "maxQueue" (int $o.alertmanager.maxQueue) "maxOpen" (int $o.alertmanager.maxOpen) -}}
{{- if $o.alertmanager.url -}}
{{- $_ := set $am "url" $o.alertmanager.url -}}
{{- else if $o.alertmanager.enabled -}}
{{- fail "config.outputs.alertmanager.url: set Alertmanager's URL (e.g. http://alertmanager-operated.monitoring.svc:9093) when the Alertmanager output is enabled" -}}
{{- end -}}
{{- if $o.alertmanager.externalUrl -}}
{{- $_ := set $am "externalUrl" $o.alertmanager.externalUrl -}}
{{- end -}}
{{- $hook := dict "enabled" $o.webhook.enabled "timeout" $o.webhook.timeout "maxAttempts" (int $o.webhook.maxAttempts) "maxQueue" (int $o.webhook.maxQueue) "deadLetterMaxBytes" (int64 $o.webhook.deadLetterMaxBytes) -}}
{{- if $o.webhook.url -}}
{{- $_ := set $hook "url" $o.webhook.url -}}
{{- else if $o.webhook.enabled -}}
{{- fail "config.outputs.webhook.url: set the receiver's URL when the webhook output is enabled" -}}
{{- end -}}
{{- if $o.webhook.enabled -}}
{{- $_ := set $hook "secretFile" (printf "/etc/meshwarden-webhook/%s" .Values.secrets.webhook.key) -}}
{{- end -}}
{{- $outputs := dict "alertmanager" $am "webhook" $hook "kubernetesEvents" (dict "enabled" $o.kubernetesEvents.enabled "maxQueue" (int $o.kubernetesEvents.maxQueue)) -}}
{{- $config := dict
  "apiVersion" "meshwarden.io/v1"
  "kind" "ServiceConfig"
  "detectors" (include "meshwarden.configDir" (list . "detectors"))
  "playbooks" (include "meshwarden.configDir" (list . "playbooks"))
  "reload" (dict "enabled" $c.reload.enabled "debounce" $c.reload.debounce "pollInterval" $c.reload.pollInterval)
  "playbookVars" (default (dict) $c.playbookVars)
  "stateDir" .Values.state.path
  "dryRun" $c.dryRun
  "stateRetention" $c.stateRetention
  "namespace" .Release.Namespace
  "protectedNamespaces" $c.protectedNamespaces
  "trustedProxyHops" (int (default 0 $c.trustedProxyHops))
  "maxEntities" (int (default 200000 $c.maxEntities))
  "workers" (int (default 0 $c.workers))
  "kafka" $kafka
  "kubernetes" (dict "enabled" $c.kubernetes.enabled)
  "coordination" (dict "claims" $c.coordination.claims "holdAtLeast" $c.coordination.holdAtLeast)
  "silences" (dict "store" $c.silences.store "configMap" $c.silences.configMap "cacheFor" $c.silences.cacheFor)
  "vault" $vault
  "slack" $slack
  "ledger" $ledger
  "policy" $policy
  "outputs" $outputs
  "console" (dict "tokens" $consoleTokens)
  "http" (dict "port" (int .Values.http.port) "host" "0.0.0.0" "headersTimeout" .Values.http.headersTimeout "requestTimeout" .Values.http.requestTimeout)
  "logLevel" $c.logLevel
-}}
{{- toYaml $config -}}
{{- end -}}

{{/*
Where the engine reads detectors or playbooks: beside config.yaml in the config volume, or, when
existing ConfigMaps add to them, in a projected volume of their own (a ConfigMap's keys can only be
projected to the root of a volume without listing them, so that volume holds nothing else).
*/}}
{{- define "meshwarden.configDir" -}}
{{- $root := index . 0 -}}
{{- $kind := index . 1 -}}
{{- if (index $root.Values $kind).existingConfigMaps -}}
{{- printf "/etc/meshwarden-%s" $kind -}}
{{- else -}}
{{- printf "/etc/meshwarden/%s" $kind -}}
{{- end -}}
{{- end -}}

{{/*
Shipped files of one kind ("detectors" or "playbooks") merged with the values' files, as a JSON
map of file name to content. JSON, not YAML, between helpers: helm's toYaml drops the final newline
of the last block scalar, and the mounted files must equal the shipped ones byte for byte.
*/}}
{{- define "meshwarden.configFiles" -}}
{{- $root := index . 0 -}}
{{- $kind := index . 1 -}}
{{- $values := index $root.Values $kind -}}
{{- $files := dict -}}
{{- if $values.shipped -}}
{{- range $path, $bytes := $root.Files.Glob (printf "files/%s/*.yaml" $kind) -}}
{{- if not (has (base $path) $values.exclude) -}}
{{- $_ := set $files (base $path) (toString $bytes) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name, $content := $values.files -}}
{{- $_ := set $files $name $content -}}
{{- end -}}
{{- toJson $files -}}
{{- end -}}

{{/*
The data of the detectors or playbooks ConfigMap. With no files at all, a README keeps the mounted
directory in existence (the engine loads *.yaml and *.yml only).
*/}}
{{- define "meshwarden.configMapData" -}}
{{- $files := include "meshwarden.configFiles" . | fromJson -}}
{{- if empty $files -}}
{{- $files = dict "README" (printf "No %s are configured: see %s.files in the chart's values.\n" (index . 1) (index . 1)) -}}
{{- end -}}
{{- toJson $files -}}
{{- end -}}

{{/*
Ids of the actions the engine must be allowed to run, as a YAML list: every registered action
(rbac.actions=all), or those the mounted playbooks' steps use (rbac.actions=playbooks); then their
inverses (rbac.includeInverses) and rbac.extraActions. An unknown id fails the render.
*/}}
{{- define "meshwarden.rbacActionIds" -}}
{{- $catalog := .Files.Get "files/actions.json" | fromJson -}}
{{- $ids := list -}}
{{- if eq .Values.rbac.actions "all" -}}
{{- $ids = keys $catalog -}}
{{- else -}}
{{- range $file, $content := include "meshwarden.configFiles" (list $ "playbooks") | fromJson -}}
{{- range $document := regexSplit "(?m)^---[ \\t]*$" $content -1 -}}
{{- $playbook := fromYaml $document -}}
{{- if hasKey $playbook "Error" -}}
{{- fail (printf "playbooks: %s is not valid YAML: %s" $file (get $playbook "Error")) -}}
{{- end -}}
{{- if eq (toString (get $playbook "kind")) "Playbook" -}}
{{- range $step := dig "spec" "steps" list $playbook -}}
{{- $action := toString (get $step "action") -}}
{{- if not (hasKey $catalog $action) -}}
{{- fail (printf "playbooks: %s uses action %q, which is not a registered action (%s)" $file $action (keys $catalog | sortAlpha | join ", ")) -}}
{{- end -}}
{{- $ids = append $ids $action -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $action := .Values.rbac.extraActions -}}
{{- if not (hasKey $catalog $action) -}}
{{- fail (printf "rbac.extraActions: %q is not a registered action (%s)" $action (keys $catalog | sortAlpha | join ", ")) -}}
{{- end -}}
{{- $ids = append $ids $action -}}
{{- end -}}
{{- if .Values.rbac.includeInverses -}}
{{- range $action := $ids -}}
{{- $inverse := get (get $catalog $action) "inverse" -}}
{{- if $inverse -}}
{{- $ids = append $ids $inverse -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson ($ids | uniq | sortAlpha) -}}
{{- end -}}

{{/*
The union of the RBAC rules of those actions, one rule per API group and resource with its verbs,
sorted: a JSON list of PolicyRules.
*/}}
{{- define "meshwarden.rbacRules" -}}
{{- $catalog := .Files.Get "files/actions.json" | fromJson -}}
{{- $grants := dict -}}
{{- range $action := include "meshwarden.rbacActionIds" . | fromJsonArray -}}
{{- range $rule := get (get $catalog $action) "rbac" -}}
{{- range $group := $rule.apiGroups -}}
{{- range $resource := $rule.resources -}}
{{- $key := printf "%s|%s" $group $resource -}}
{{- $verbs := get $grants $key | default dict -}}
{{- range $verb := $rule.verbs -}}
{{- $_ := set $verbs $verb true -}}
{{- end -}}
{{- $_ := set $grants $key $verbs -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $rules := list -}}
{{- range $key := keys $grants | sortAlpha -}}
{{- $parts := splitList "|" $key -}}
{{- $rules = append $rules (dict "apiGroups" (list (index $parts 0)) "resources" (list (index $parts 1)) "verbs" (keys (get $grants $key) | sortAlpha)) -}}
{{- end -}}
{{- toJson $rules -}}
{{- end -}}

{{/* One secret environment variable: (list name secretName key). */}}
{{- define "meshwarden.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 | quote }}
      key: {{ index . 2 | quote }}
{{- end -}}

{{/*
The secret environment variables (SECRET_ENV in src/config/service-config.ts) the configuration
needs, each from an existing Secret. A needed Secret that is not named fails the render.
*/}}
{{- define "meshwarden.secretEnvs" -}}
{{- $c := .Values.config -}}
{{- $s := .Values.secrets -}}
{{- if $c.slack.enabled }}
{{- $slack := required "secrets.slack.existingSecret: name the Secret holding the Slack tokens (config.slack.enabled is true)" $s.slack.existingSecret }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_SLACK_BOT_TOKEN" $slack $s.slack.botTokenKey) }}
{{- if eq $c.slack.mode "socket" }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_SLACK_APP_TOKEN" $slack $s.slack.appTokenKey) }}
{{- else }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_SLACK_SIGNING_SECRET" $slack $s.slack.signingSecretKey) }}
{{- end }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_APPROVAL_KEY" (default $slack $s.approval.existingSecret) $s.approval.key) }}
{{- end }}
{{- if and $c.vault.enabled (not $c.vault.kubernetesRole) }}
{{- $vault := required "secrets.vault.existingSecret: name the Secret holding the Vault token, or set config.vault.kubernetesRole to use Kubernetes auth" $s.vault.existingSecret }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_VAULT_TOKEN" $vault $s.vault.tokenKey) }}
{{- end }}
{{- if $c.kafka.sasl }}
{{- $kafka := required "secrets.kafka.existingSecret: name the Secret holding the Kafka SASL username and password (config.kafka.sasl is set)" $s.kafka.existingSecret }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_KAFKA_USERNAME" $kafka $s.kafka.usernameKey) }}
{{ include "meshwarden.secretEnv" (list "MESHWARDEN_KAFKA_PASSWORD" $kafka $s.kafka.passwordKey) }}
{{- end }}
{{- end -}}

{{/* Whether the pod needs its ServiceAccount token: Kubernetes actions, or Vault Kubernetes auth. */}}
{{- define "meshwarden.needsToken" -}}
{{- if or .Values.config.kubernetes.enabled (and .Values.config.vault.enabled .Values.config.vault.kubernetesRole) -}}true{{- end -}}
{{- end -}}

{{/* One egress rule of the NetworkPolicy: (list name target). */}}
{{- define "meshwarden.egressRule" -}}
{{- $name := index . 0 -}}
{{- $target := index . 1 -}}
{{- if and (empty $target.cidrs) (empty $target.namespaces) -}}
{{- fail (printf "networkPolicy.egress.%s: name cidrs or namespaces; a rule without peers would allow every destination" $name) -}}
{{- end -}}
- to:
  {{- range $cidr := $target.cidrs }}
    - ipBlock:
        cidr: {{ $cidr | quote }}
        {{- with $target.except }}
        except:
          {{- toYaml . | nindent 10 }}
        {{- end }}
  {{- end }}
  {{- range $namespace := $target.namespaces }}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $namespace | quote }}
      {{- with $target.podLabels }}
      podSelector:
        matchLabels:
          {{- toYaml . | nindent 10 }}
      {{- end }}
  {{- end }}
  ports:
  {{- range $port := $target.ports }}
    - port: {{ $port.port }}
      protocol: {{ $port.protocol | default "TCP" }}
  {{- end }}
{{- end -}}

{{/*
The name of the ConfigMap the OPA sidecar loads its policies from: the operator's, or the chart's
own (its shipped policies).
*/}}
{{- define "meshwarden.policyConfigMap" -}}
{{- default (printf "%s-policies" (include "meshwarden.fullname" .)) .Values.policy.opa.sidecar.existingConfigMap -}}
{{- end -}}
