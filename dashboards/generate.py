#!/usr/bin/env python3
"""Generates the Grafana dashboards in this directory (the JSON is committed; edit here, rerun).

    python3 dashboards/generate.py

Conventions (kubernetes-mixin): stable uids, the shared tag `llm-safety`, chained template
variables datasource -> job -> model_variant (multi-select), $__rate_interval in every rate, a unit
and a description on every panel, a row of stat panels first. PrometheusQueriesITCase sends every
query below to a real Prometheus scraping the running job.
"""
import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent
TAG = "llm-safety"
SCHEMA_VERSION = 41  # Grafana 12
DS = {"type": "prometheus", "uid": "${datasource}"}

# Label selectors shared by the queries.
JOB = 'job="$job"'
VAR = 'job="$job", model_variant=~"$model_variant"'
FLINK = 'job_name=~"$flink_job"'
# The remote judge's classifier label values (its protocols); the others are the built-in scorers.
JUDGE = 'classifier=~"llama_guard|openai_moderation"'
BUILTIN = 'classifier!~"llama_guard|openai_moderation"'


def ratio_by(num, den, by="model_variant"):
    """num/den per group, reading 0 where num has no series yet (e.g. a variant that never refuses:
    exactly the variant that must not vanish from the panel)."""
    return (f"(sum by ({by}) (rate({num}[$__rate_interval])) or sum by ({by}) (rate({den}[$__rate_interval])) * 0)\n"
            f"/ sum by ({by}) (rate({den}[$__rate_interval]))")


def target(expr, legend="", ref="A", instant=False, fmt=None):
    t = {"datasource": DS, "expr": expr, "refId": ref, "legendFormat": legend or "__auto", "range": not instant,
         "instant": instant}
    if fmt:
        t["format"] = fmt
    return t


class Layout:
    """Places panels left to right, wrapping at Grafana's 24 columns; assigns stable ids."""

    def __init__(self):
        self.panels, self.x, self.y, self.row_h, self.next_id = [], 0, 0, 0, 1

    def row(self, title):
        self._newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False, "id": self._id(), "panels": [],
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}})
        self.y += 1

    def add(self, panel, w, h):
        if self.x + w > 24:
            self._newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)

    def _newline(self):
        if self.x:
            self.y += self.row_h
        self.x, self.row_h = 0, 0

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i


def stat(title, desc, unit, targets, thresholds=None, decimals=None):
    steps = thresholds or [{"color": "green", "value": None}]
    defaults = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}, "color": {"mode": "thresholds"}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {"type": "stat", "title": title, "description": desc, "datasource": DS, "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto", "justifyMode": "auto",
                        "orientation": "auto"}}


def timeseries(title, desc, unit, targets, stack=False, bars=False, overrides=None, min_=None, max_=None, log=False):
    custom = {"drawStyle": "bars" if bars else "line", "lineWidth": 1, "fillOpacity": 10 if not bars else 80,
              "showPoints": "never", "spanNulls": False,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    if log:
        custom["scaleDistribution"] = {"type": "log", "log": 10}
    defaults = {"unit": unit, "custom": custom}
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    return {"type": "timeseries", "title": title, "description": desc, "datasource": DS, "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def dashed(regex):
    """Override drawing the matching series dashed (baselines, thresholds)."""
    return {"matcher": {"id": "byRegexp", "options": regex},
            "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                           {"id": "custom.fillOpacity", "value": 0}]}


def table(title, desc, unit, targets, transformations=None):
    return {"type": "table", "title": title, "description": desc, "datasource": DS, "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"showHeader": True, "sortBy": [{"displayName": "Value", "desc": True}]},
            "transformations": transformations or []}


def bargauge(title, desc, unit, targets):
    return {"type": "bargauge", "title": title, "description": desc, "datasource": DS, "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit, "min": 0, "thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "red", "value": 1}]}}, "overrides": []},
            "options": {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}}


def heatmap(title, desc, unit, targets):
    return {"type": "heatmap", "title": title, "description": desc, "datasource": DS, "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"calculate": False, "yAxis": {"unit": unit, "axisPlacement": "left"},
                        "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges", "exponent": 0.5, "steps": 64},
                        "rowsFrame": {"layout": "auto"}, "tooltip": {"mode": "single", "yHistogram": True},
                        "legend": {"show": True}}}


def datasource_var():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "refresh": 1, "regex": "", "includeAll": False, "multi": False}


def query_var(name, label, query, multi=False, include_all=False, all_value=None):
    v = {"name": name, "label": label, "type": "query", "datasource": DS,
         "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "definition": query, "refresh": 2, "sort": 1, "hide": 0, "current": {}, "options": [],
         "multi": multi, "includeAll": include_all, "regex": ""}
    if all_value:
        v["allValue"] = all_value
    return v


def job_var():
    return query_var("job", "Job", "label_values(llm_safety_events_total, job)")


def variant_var():
    return query_var("model_variant", "Model variant", f'label_values(llm_safety_events_total{{{JOB}}}, model_variant)',
                     multi=True, include_all=True, all_value=".*")


def dashboard(uid, title, description, layout, variables, annotations=()):
    return {
        "uid": uid, "title": title, "description": description, "tags": [TAG], "editable": True,
        "schemaVersion": SCHEMA_VERSION, "version": 1, "timezone": "", "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"}, "graphTooltip": 1, "fiscalYearStartMonth": 0, "liveNow": False,
        "links": [{"title": "LLM safety dashboards", "type": "dashboards", "tags": [TAG], "asDropdown": True,
                   "includeVars": True, "keepTime": True}],
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}, *annotations]},
        "templating": {"list": variables},
        "panels": layout.panels,
    }


# ---------------------------------------------------------------------------------------------
def overview():
    L = Layout()
    L.row("Fleet now")
    L.add(stat("Variants with traffic", "Model variants that sent scored events in the selected time range "
               "(variants beyond the label limit share the _other label).", "none",
               [target(f"count(count by (model_variant) (increase(llm_safety_events_total{{{VAR}}}[$__range]) > 0)) or vector(0)")]), 4, 4)
    L.add(stat("Events scored", "Scored events per second, all selected variants.", "ops",
               [target(f"sum(rate(llm_safety_events_total{{{VAR}}}[$__rate_interval])) or vector(0)")]), 4, 4)
    L.add(stat("Refusal rate on risky prompts", "Share of risky prompts refused, all selected variants together. "
               "Healthy instruction-tuned models refuse most risky prompts; a fleet-wide drop points at a shared cause.",
               "percentunit", [target(f'(sum(rate(llm_safety_refusals_total{{{VAR}, segment="risky"}}[$__rate_interval])) or vector(0)) '
                                      f'/ sum(rate(llm_safety_events_total{{{VAR}, segment="risky"}}[$__rate_interval]))')],
               thresholds=[{"color": "red", "value": None}, {"color": "orange", "value": 0.7}, {"color": "green", "value": 0.85}]), 4, 4)
    L.add(stat("Harmful-answer rate", "Share of all responses scored harmful, all selected variants together.",
               "percentunit", [target(f"(sum(rate(llm_safety_harmful_responses_total{{{VAR}}}[$__rate_interval])) or vector(0)) "
                                      f"/ sum(rate(llm_safety_events_total{{{VAR}}}[$__rate_interval]))")],
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.02}, {"color": "red", "value": 0.05}]), 4, 4)
    L.add(stat("Active safety alerts", "Safety alerts the job currently has firing (all kinds and severities).", "none",
               [target(f"sum(llm_safety_alert_active{{{VAR}}}) or vector(0)")],
               thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), 4, 4)
    L.add(stat("Critical alerts active", "Firing safety alerts with severity critical (these page).", "none",
               [target(f'sum(llm_safety_alert_active{{{VAR}, severity="critical"}}) or vector(0)')],
               thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), 4, 4)

    L.row("Per variant")
    L.add(timeseries("Refusal rate on risky prompts by variant",
                     "Refused / scored risky prompts per variant. A variant falling away from the pack is the signature "
                     "of a fine-tune that removed safety training (LlmSafetyRefusalDrop).", "percentunit",
                     [target(ratio_by(f'llm_safety_refusals_total{{{VAR}, segment="risky"}}',
                                      f'llm_safety_events_total{{{VAR}, segment="risky"}}'), "{{model_variant}}")],
                     min_=0, max_=1), 12, 9)
    L.add(timeseries("Harmful-answer rate by variant",
                     "Responses scored harmful / all scored responses per variant (LlmSafetyHarmRise).", "percentunit",
                     [target(ratio_by(f"llm_safety_harmful_responses_total{{{VAR}}}", f"llm_safety_events_total{{{VAR}}}"),
                             "{{model_variant}}")], min_=0), 12, 9)
    L.add(bargauge("Active alerts by kind and severity", "Number of variants with a firing alert, per alert kind and severity.",
                   "none", [target(f"sum by (kind, severity) (llm_safety_alert_active{{{VAR}}})", "{{kind}} ({{severity}})",
                                   instant=True)]), 8, 8)
    L.add(table("Variants with active alerts", "Each firing safety alert: variant, kind, severity. Open the variant "
                "drill-down for its rates and evidence.", "none",
                [target(f"max by (model_variant, kind, severity) (llm_safety_alert_active{{{VAR}}}) == 1", instant=True,
                        fmt="table")],
                [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True}}}]), 8, 8)
    L.add(table("Detectors closest to alarm", "Sequential test statistic as a share of its alarm threshold, highest "
                "first: 1 means the detector fires. Top movers before they alert.", "percentunit",
                [target(f"topk(10, max by (model_variant, statistic) (llm_safety_drift_statistic{{{VAR}}}) "
                        f"/ max by (model_variant, statistic) (llm_safety_drift_threshold{{{VAR}}}))", instant=True,
                        fmt="table")],
                [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]), 8, 8)
    L.add(table("Top movers: refusal rate on risky prompts, change over 1h", "Largest absolute change of the "
                "window refusal rate on risky prompts over the last hour, per variant.", "percentunit",
                [target(f'topk(10, max by (model_variant) (abs(delta(llm_safety_refusal_rate{{{VAR}, segment="risky"}}[1h]))))',
                        instant=True, fmt="table")],
                [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]), 12, 8)
    L.add(table("Top movers: harmful-answer rate, change over 1h", "Largest absolute change of the window "
                "harmful-response rate (any segment) over the last hour, per variant.", "percentunit",
                [target(f"topk(10, max by (model_variant) (abs(delta(llm_safety_harmful_rate{{{VAR}}}[1h]))))",
                        instant=True, fmt="table")],
                [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]), 12, 8)
    L.add(timeseries("Pending alerts by kind", "Variants whose statistic is over its threshold but waits out "
                     "alerts.pending_for before firing, per alert kind. Pending alerts do not page. Empty while "
                     "pending_for is 0s.", "none",
                     [target(f"sum by (kind) (llm_safety_alert_pending{{{VAR}}})", "{{kind}}")], min_=0), 12, 8)
    L.add(timeseries("Re-notifications", "Still-firing alerts sent again after alerts.renotify_interval (same "
                     "alert_id, renotify true), per kind and severity: long-running episodes nobody has resolved.",
                     "none",
                     [target(f"sum by (kind, severity) (increase(llm_safety_alert_renotifications_total{{{VAR}}}[$__rate_interval]))",
                             "{{kind}} ({{severity}})")], bars=True), 12, 8)
    return dashboard("llm-safety-overview", "LLM safety / Overview",
                     "All monitored model variants at a glance: refusals on risky prompts, harmful answers, active alerts.",
                     L, [datasource_var(), job_var(), variant_var()])


# ---------------------------------------------------------------------------------------------
def variant():
    L = Layout()
    L.row("Selected variants now")
    L.add(stat("Events scored", "Scored events per second for the selected variants.", "ops",
               [target(f"sum(rate(llm_safety_events_total{{{VAR}}}[$__rate_interval])) or vector(0)")]), 4, 4)
    L.add(stat("Risky share of prompts", "Share of prompts the prompt-risk scorer marks risky.", "percentunit",
               [target(f'sum(rate(llm_safety_events_total{{{VAR}, segment="risky"}}[$__rate_interval])) '
                       f'/ sum(rate(llm_safety_events_total{{{VAR}}}[$__rate_interval]))')]), 4, 4)
    L.add(stat("Window refusal rate (risky)", "Refusal rate on risky prompts in the last closed event-time window "
               "(lowest of the selected variants).", "percentunit",
               [target(f'min(llm_safety_refusal_rate{{{VAR}, segment="risky"}})')],
               thresholds=[{"color": "red", "value": None}, {"color": "orange", "value": 0.7}, {"color": "green", "value": 0.85}]), 4, 4)
    L.add(stat("Window harmful rate (risky)", "Harmful-response rate on risky prompts in the last closed event-time "
               "window (highest of the selected variants).", "percentunit",
               [target(f'max(llm_safety_harmful_rate{{{VAR}, segment="risky"}})')],
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.1}, {"color": "red", "value": 0.25}]), 4, 4)
    L.add(stat("Closest detector to alarm", "Highest drift statistic as a share of its threshold (1 = alarm).",
               "percentunit", [target(f"max(llm_safety_drift_statistic{{{VAR}}} / llm_safety_drift_threshold{{{VAR}}})")],
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.5}, {"color": "red", "value": 1}]), 4, 4)
    L.add(stat("Active safety alerts", "Safety alerts currently firing for the selected variants.", "none",
               [target(f"sum(llm_safety_alert_active{{{VAR}}}) or vector(0)")],
               thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), 4, 4)

    L.row("Rates against baseline")
    L.add(timeseries("Refusal rate by segment vs baseline",
                     "Refusal rate per prompt segment in each closed event-time window, and (dashed) the variant's "
                     "reference-window refusal rate on risky prompts that the refusal_drop detector compares with.",
                     "percentunit",
                     [target(f"max by (model_variant, segment) (llm_safety_refusal_rate{{{VAR}}})", "{{model_variant}} {{segment}}"),
                      target(f"max by (model_variant, segment) (llm_safety_baseline_refusal_rate{{{VAR}}})",
                             "{{model_variant}} baseline {{segment}}", ref="B")],
                     overrides=[dashed(".*baseline.*")], min_=0, max_=1), 12, 9)
    L.add(timeseries("Harmful-response rate by segment vs baseline",
                     "Harmful-response rate per prompt segment in each closed event-time window, and (dashed) the "
                     "reference-window rate over all prompts that the harm_rise detector compares with.", "percentunit",
                     [target(f"max by (model_variant, segment) (llm_safety_harmful_rate{{{VAR}}})", "{{model_variant}} {{segment}}"),
                      target(f"max by (model_variant, segment) (llm_safety_baseline_harmful_rate{{{VAR}}})",
                             "{{model_variant}} baseline {{segment}}", ref="B")],
                     overrides=[dashed(".*baseline.*")], min_=0), 12, 9)
    L.add(timeseries("Refusal and harmful rates by segment (from counters)",
                     "The same rates computed by Prometheus from the event counters over $__rate_interval: smoother "
                     "than the window gauges and independent of event-time windows.", "percentunit",
                     [target(ratio_by(f"llm_safety_refusals_total{{{VAR}}}", f"llm_safety_events_total{{{VAR}}}",
                                      "model_variant, segment"), "{{model_variant}} refusals {{segment}}"),
                      target(ratio_by(f"llm_safety_harmful_responses_total{{{VAR}}}", f"llm_safety_events_total{{{VAR}}}",
                                      "model_variant, segment"), "{{model_variant}} harmful {{segment}}", ref="B")],
                     min_=0, max_=1), 12, 9)
    L.add(timeseries("Scored events by segment", "Scored events per second, per prompt segment.", "ops",
                     [target(f"sum by (model_variant, segment) (rate(llm_safety_events_total{{{VAR}}}[$__rate_interval]))",
                             "{{model_variant}} {{segment}}")], stack=True), 12, 9)

    L.row("Harm-score distribution")
    L.add(heatmap("Harm-score distribution", "Responses per harm-score bucket over time (from the "
                  "llm_safety_harm_score histogram), all segments. Mass moving up is a distribution shift even "
                  "before the harmful threshold is crossed.", "none",
                  [target(f"sum by (le) (increase(llm_safety_harm_score_bucket{{{VAR}}}[$__rate_interval]))", "{{le}}",
                          fmt="heatmap")]), 12, 9)
    L.add(timeseries("Harm-score quantiles by segment", "Median, 90th and 99th percentile harm score per segment, "
                     "interpolated from the histogram buckets.", "none",
                     [target(f"histogram_quantile({q}, sum by (le, segment) (rate(llm_safety_harm_score_bucket{{{VAR}}}[$__rate_interval])))",
                             f"p{int(q * 100)} {{{{segment}}}}", ref=r)
                      for q, r in ((0.5, "A"), (0.9, "B"), (0.99, "C"))], min_=0, max_=1), 12, 9)

    L.row("Detectors")
    L.add(timeseries("Drift statistics against thresholds", "Sequential test statistics (CUSUM) per detector and, "
                     "dashed, their alarm thresholds. A statistic reaching its threshold raises the alert.", "none",
                     [target(f"max by (model_variant, statistic) (llm_safety_drift_statistic{{{VAR}}})",
                             "{{model_variant}} {{statistic}}"),
                      target(f"max by (model_variant, statistic) (llm_safety_drift_threshold{{{VAR}}})",
                             "{{model_variant}} {{statistic}} threshold", ref="B")],
                     overrides=[dashed(".*threshold")], min_=0), 12, 9)
    L.add(timeseries("Alert transitions", "Alerts raised (firing) and resolved, per kind.", "none",
                     [target(f"sum by (model_variant, kind, status) (increase(llm_safety_alerts_total{{{VAR}}}[$__rate_interval]))",
                             "{{model_variant}} {{kind}} {{status}}")], bars=True), 12, 9)
    L.add(timeseries("Duplicate and late events", "Events dropped as duplicates (same event_id) and events that "
                     "arrived behind the watermark (dead-lettered as late), per second.", "ops",
                     [target(f"sum by (model_variant) (rate(llm_safety_duplicate_events_total{{{VAR}}}[$__rate_interval]))",
                             "{{model_variant}} duplicates"),
                      target(f"sum by (model_variant) (rate(llm_safety_late_events_total{{{VAR}}}[$__rate_interval]))",
                             "{{model_variant}} late", ref="B")]), 24, 8)
    alert_annotation = {"name": "Safety alerts", "enable": True, "datasource": DS, "iconColor": "red",
                        "expr": f"max by (model_variant, kind, severity) (llm_safety_alert_active{{{VAR}}}) == 1",
                        "step": "60s", "titleFormat": "{{kind}} on {{model_variant}}",
                        "textFormat": "severity {{severity}}", "tagKeys": "kind,severity,model_variant",
                        "useValueForTime": False}
    return dashboard("llm-safety-variant", "LLM safety / Variant drill-down",
                     "One or a few model variants in detail: rates per segment against the baseline, harm-score "
                     "distribution, detector statistics against thresholds, alert periods as annotations.",
                     L, [datasource_var(), job_var(), variant_var()], [alert_annotation])


# ---------------------------------------------------------------------------------------------
def pipeline():
    L = Layout()
    L.row("Pipeline now")
    L.add(stat("Input records", "Raw records read from the input topic per second (before parsing).", "ops",
               [target(f"sum(rate(llm_safety_input_records_total{{{JOB}}}[$__rate_interval])) or vector(0)")]), 4, 4)
    L.add(stat("Dead-lettered share", "Share of input records rejected to the dead-letter topic.", "percentunit",
               [target(f"(sum(rate(llm_safety_dead_letters_total{{{JOB}}}[$__rate_interval])) or vector(0)) "
                       f"/ sum(rate(llm_safety_input_records_total{{{JOB}}}[$__rate_interval]))")],
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.01}, {"color": "red", "value": 0.05}]), 4, 4)
    L.add(stat("Kafka consumer lag", "Records pending in the input topic (Flink source metric pendingRecords, "
               "summed over partitions).", "short",
               [target(f"sum(flink_taskmanager_job_task_operator_pendingRecords{{{FLINK}}})")],
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 10000}, {"color": "red", "value": 100000}]), 4, 4)
    L.add(stat("Last checkpoint duration", "Duration of the last completed checkpoint (outputs become visible per "
               "checkpoint).", "ms", [target(f"max(flink_jobmanager_job_lastCheckpointDuration{{{FLINK}}})")]), 4, 4)
    L.add(stat("Job restarts", "Restarts of the Flink job since it was submitted.", "none",
               [target(f"max(flink_jobmanager_job_numRestarts{{{FLINK}}})")],
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}]), 4, 4)
    L.add(stat("Variants tracked", "Model variants with live keyed state (sum over TaskManagers).", "none",
               [target(f"sum(llm_safety_variants_tracked{{{JOB}}})")]), 4, 4)

    L.row("Throughput and input quality")
    L.add(timeseries("Events in and out", "Records read (in) against records scored and records dead-lettered (out): "
                     "in = scored + dead-lettered + duplicates when the job keeps up (an OTLP trace export is one record "
                     "with a span per model call: more out than in, and llm_safety_otlp_spans_skipped_total counts "
                     "its other spans).", "ops",
                     [target(f"sum(rate(llm_safety_input_records_total{{{JOB}}}[$__rate_interval]))", "in: read"),
                      target(f"sum(rate(llm_safety_events_total{{{JOB}}}[$__rate_interval]))", "out: scored", ref="B"),
                      target(f"sum(rate(llm_safety_dead_letters_total{{{JOB}}}[$__rate_interval]))", "out: dead-lettered", ref="C")]),
          12, 8)
    L.add(timeseries("Dead letters by reason", "Input records rejected to the dead-letter topic, per reason "
                     "(LlmSafetyDeadLetterSpike).", "ops",
                     [target(f"sum by (reason) (rate(llm_safety_dead_letters_total{{{JOB}}}[$__rate_interval]))", "{{reason}}")],
                     stack=True), 12, 8)
    L.add(timeseries("Late and duplicate events", "Events behind the watermark (dead-lettered as late) and events "
                     "dropped as duplicates, per second, all variants.", "ops",
                     [target(f"sum(rate(llm_safety_late_events_total{{{JOB}}}[$__rate_interval]))", "late"),
                      target(f"sum(rate(llm_safety_duplicate_events_total{{{JOB}}}[$__rate_interval]))", "duplicates", ref="B")]),
          12, 8)
    L.add(timeseries("Alerts emitted", "Alert transitions the job wrote to the alerts topic, per kind and status.", "none",
                     [target(f"sum by (kind, status) (increase(llm_safety_alerts_total{{{JOB}}}[$__rate_interval]))",
                             "{{kind}} {{status}}")], bars=True), 12, 8)

    L.row("Scoring")
    L.add(timeseries("Classifier latency", "Scoring latency per classifier: p50 and p99 from the latency histogram. "
                     "Log scale: the built-in scorers take microseconds, the remote judge (llama_guard, "
                     "openai_moderation) milliseconds to seconds, retries and cache hits included.", "s",
                     [target(f"histogram_quantile(0.5, sum by (le, classifier) (rate(llm_safety_classifier_latency_seconds_bucket{{{JOB}}}[$__rate_interval])))",
                             "p50 {{classifier}}"),
                      target(f"histogram_quantile(0.99, sum by (le, classifier) (rate(llm_safety_classifier_latency_seconds_bucket{{{JOB}}}[$__rate_interval])))",
                             "p99 {{classifier}}", ref="B")], log=True), 12, 8)
    L.add(timeseries("Built-in classifier errors", "Share of scoring requests that failed, per built-in scorer "
                     "(LlmSafetyClassifierErrors). Failed requests score neutrally. The remote judge's failures "
                     "are in the Remote judge row.", "percentunit",
                     [target(ratio_by(f'llm_safety_classifier_requests_total{{{JOB}, {BUILTIN}, outcome="error"}}',
                                      f"llm_safety_classifier_requests_total{{{JOB}, {BUILTIN}}}", "classifier"), "{{classifier}}")],
                     min_=0), 12, 8)

    L.row("Remote judge (scoring.judge; empty while it is off)")
    L.add(timeseries("Judge outcomes", "Events sent to the remote judge per second, by outcome: ok and cache_hit "
                     "carry the judge's verdict; timeout, rate_limited, server_error, bad_response, circuit_open and "
                     "error keep the event's built-in harm score.", "ops",
                     [target(f"sum by (classifier, outcome) (rate(llm_safety_classifier_requests_total{{{JOB}, {JUDGE}}}[$__rate_interval]))",
                             "{{classifier}} {{outcome}}")], stack=True), 8, 8)
    L.add(timeseries("Judge fallback share", "Share of judged events that got no verdict and kept their built-in "
                     "harm score (LlmSafetyJudgeFallback over 10%), and the share answered by the open circuit "
                     "breaker (LlmSafetyJudgeCircuitOpen over 50%).", "percentunit",
                     [target(ratio_by(f'llm_safety_classifier_requests_total{{{JOB}, {JUDGE}, outcome!~"ok|cache_hit"}}',
                                      f"llm_safety_classifier_requests_total{{{JOB}, {JUDGE}}}", "classifier"),
                             "{{classifier}} fallback"),
                      target(ratio_by(f'llm_safety_classifier_requests_total{{{JOB}, {JUDGE}, outcome="circuit_open"}}',
                                      f"llm_safety_classifier_requests_total{{{JOB}, {JUDGE}}}", "classifier"),
                             "{{classifier}} circuit open", ref="B")],
                     min_=0, max_=1), 8, 8)
    L.add(timeseries("Judge retries by reason", "Judge HTTP attempts retried per second, by the failed attempt's "
                     "outcome. Retries that end in a verdict cost latency, not accuracy.", "ops",
                     [target(f"sum by (classifier, reason) (rate(llm_safety_classifier_retries_total{{{JOB}}}[$__rate_interval]))",
                             "{{classifier}} {{reason}}")], stack=True), 8, 8)

    L.row("Flink (from Flink's Prometheus reporter)")
    L.add(timeseries("Kafka consumer lag", "Records pending in the input topic per Flink job (pendingRecords, the "
                     "standard source metric) and the Kafka consumer's max lag over its partitions (LlmSafetyConsumerLag).",
                     "short",
                     [target(f"sum by (job_name) (flink_taskmanager_job_task_operator_pendingRecords{{{FLINK}}})",
                             "{{job_name}} pending"),
                      target(f"max by (job_name) (flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max{{{FLINK}}})",
                             "{{job_name}} max partition lag", ref="B")]), 12, 8)
    L.add(timeseries("Source records in", "Records per second emitted by the Kafka source operator (Flink's own count).",
                     "ops",
                     [target(f'sum by (job_name) (flink_taskmanager_job_task_operator_numRecordsOutPerSecond{{{FLINK}, operator_name=~"Source.*"}})',
                             "{{job_name}}")]), 12, 8)
    L.add(timeseries("Checkpoint duration", "Duration of the last completed checkpoint.", "ms",
                     [target(f"max by (job_name) (flink_jobmanager_job_lastCheckpointDuration{{{FLINK}}})", "{{job_name}}")]),
          8, 8)
    L.add(timeseries("Checkpoints completed and failed", "Checkpoints completed and failed per interval "
                     "(LlmSafetyCheckpointFailures). Outputs, alerts included, are committed per checkpoint.", "none",
                     [target(f"sum by (job_name) (increase(flink_jobmanager_job_numberOfCompletedCheckpoints{{{FLINK}}}[$__rate_interval]))",
                             "{{job_name}} completed"),
                      target(f"sum by (job_name) (increase(flink_jobmanager_job_numberOfFailedCheckpoints{{{FLINK}}}[$__rate_interval]))",
                             "{{job_name}} failed", ref="B")], bars=True), 8, 8)
    L.add(timeseries("Restarts", "Job restarts per interval.", "none",
                     [target(f"sum by (job_name) (increase(flink_jobmanager_job_numRestarts{{{FLINK}}}[$__rate_interval]))",
                             "{{job_name}}")], bars=True), 8, 8)
    L.add(timeseries("Back-pressure and busy time by task", "Milliseconds per second each task spends back-pressured "
                     "(waiting on downstream) and busy: the slow operator is the busy one downstream of the back-pressured.",
                     "ms",
                     [target(f"max by (task_name) (flink_taskmanager_job_task_backPressuredTimeMsPerSecond{{{FLINK}}})",
                             "back-pressured {{task_name}}"),
                      target(f"max by (task_name) (flink_taskmanager_job_task_busyTimeMsPerSecond{{{FLINK}}})",
                             "busy {{task_name}}", ref="B")]), 24, 8)
    flink_job = query_var("flink_job", "Flink job", "label_values(flink_jobmanager_job_numRestarts, job_name)",
                          multi=True, include_all=True, all_value=".*")
    return dashboard("llm-safety-pipeline", "LLM safety / Pipeline health",
                     "Is the monitor itself keeping up: records in and out, dead letters, late events, scoring latency "
                     "and errors, the remote judge's outcomes and fallbacks, and Flink's own metrics (Kafka lag, checkpoints, restarts, back-pressure).",
                     L, [datasource_var(), job_var(), flink_job])


if __name__ == "__main__":
    for name, d in (("llm-safety-overview.json", overview()), ("llm-safety-variant.json", variant()),
                    ("llm-safety-pipeline.json", pipeline())):
        text = json.dumps(d, indent=2) + "\n"
        (OUT / name).write_text(text)
        # The Helm chart ships exact copies (HelmChartTest checks them).
        (OUT.parent / "helm" / "safety-monitor" / "files" / "dashboards" / name).write_text(text)
        print("wrote", name, "and its copy in the Helm chart")
