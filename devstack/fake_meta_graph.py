"""The fake Graph API's endpoints over its state, with Meta's request validation (code 100 for bad input)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, timedelta
from typing import Any

from devstack.fake_meta_state import GraphFailure, State, invalid

ACCOUNT_EDGES = {"campaigns", "adsets", "ads", "adcreatives", "advideos", "adimages", "insights"}
OBJECTIVES = {
    "OUTCOME_SALES",
    "OUTCOME_TRAFFIC",
    "OUTCOME_AWARENESS",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_APP_PROMOTION",
}
STATUSES = {"ACTIVE", "PAUSED"}
BILLING_EVENTS = {"IMPRESSIONS", "LINK_CLICKS", "THRUPLAY"}
OPTIMIZATION_GOALS = {
    "LINK_CLICKS",
    "OFFSITE_CONVERSIONS",
    "IMPRESSIONS",
    "REACH",
    "THRUPLAY",
    "VALUE",
    "LANDING_PAGE_VIEWS",
}
KINDS = {"campaigns": "campaign", "adsets": "adset", "ads": "ad", "adcreatives": "creative"}
MIN_DAILY_BUDGET = 100  # minor units
READY_AFTER_POLLS = 2  # a video is "processing" for this many status reads
REPORT_STATES = ["Job Not Started", "Job Running", "Job Completed"]


def _json_field(form: dict[str, Any], name: str, required: bool = True) -> Any:
    raw = form.get(name)
    if raw is None:
        if required:
            raise invalid(f"The parameter {name} is required")
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid(f"Param {name} must be JSON") from None


def _required(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    if not value:
        raise invalid(f"The parameter {name} is required")
    return str(value)


def _choice(form: dict[str, Any], name: str, allowed: set[str], default: str | None = None) -> str:
    value = form.get(name, default)
    if value not in allowed:
        raise invalid(f"Param {name} must be one of {{{', '.join(sorted(allowed))}}}")
    return str(value)


def _page(rows: list[dict[str, Any]], form: dict[str, Any], url: str) -> dict[str, Any]:
    limit = max(1, min(int(form.get("limit", 25)), 500))
    start = int(base64.b64decode(form["after"]).decode()) if form.get("after") else 0
    page = rows[start : start + limit]
    result: dict[str, Any] = {"data": page}
    if page:
        after = base64.b64encode(str(start + len(page)).encode()).decode()
        before = base64.b64encode(str(start).encode()).decode()
        result["paging"] = {"cursors": {"before": before, "after": after}}
        if start + len(page) < len(rows):
            result["paging"]["next"] = f"{url.split('?')[0]}?limit={limit}&after={after}"
    return result


def _fields(obj: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    wanted = [f for f in str(form.get("fields", "id")).split(",") if f]
    return {f: obj[f] for f in wanted if f in obj} | {"id": obj["id"]}


def _list(state: State, account: str, kind: str, form: dict[str, Any], url: str) -> dict[str, Any]:
    rows = sorted(state.of_kind(kind, account), key=lambda o: o["id"])
    for rule in _json_field(form, "filtering", required=False) or []:
        if rule.get("operator") == "EQUAL":
            rows = [o for o in rows if o.get(rule.get("field")) == rule.get("value")]
    return _page([_fields(o, form) for o in rows], form, url)


def _create(state: State, account: str, edge: str, form: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS[edge]
    obj: dict[str, Any] = {"kind": kind, "account": account, "name": _required(form, "name")}
    if edge == "campaigns":
        obj["objective"] = _choice(form, "objective", OBJECTIVES)
        categories = _json_field(form, "special_ad_categories")
        if not isinstance(categories, list):
            raise invalid("Param special_ad_categories must be an array")
        obj["status"] = _choice(form, "status", STATUSES, "PAUSED")
    elif edge == "adsets":
        campaign = state.require(_required(form, "campaign_id"), "campaign", account)
        try:
            budget = int(_required(form, "daily_budget"))
        except ValueError:
            raise invalid("Param daily_budget must be an integer") from None
        if budget < MIN_DAILY_BUDGET:
            raise GraphFailure(400, 100, "(#100) The daily budget is too low", subcode=1885272)
        targeting = _json_field(form, "targeting")
        if not isinstance(targeting, dict) or not targeting.get("geo_locations"):
            raise GraphFailure(400, 100, "(#100) Targeting must specify geo_locations", subcode=1487079)
        obj |= {
            "campaign_id": campaign["id"],
            "daily_budget": budget,
            "targeting": targeting,
            "billing_event": _choice(form, "billing_event", BILLING_EVENTS),
            "optimization_goal": _choice(form, "optimization_goal", OPTIMIZATION_GOALS),
            "status": _choice(form, "status", STATUSES, "PAUSED"),
            "budget_changes": 0,
        }
    elif edge == "adcreatives":
        spec = _json_field(form, "object_story_spec")
        video = (spec or {}).get("video_data") if isinstance(spec, dict) else None
        if not isinstance(spec, dict) or not spec.get("page_id") or not isinstance(video, dict):
            raise invalid("Param object_story_spec must have page_id and video_data")
        found = state.require(video.get("video_id"), "video", account)
        if not (video.get("image_hash") or video.get("image_url")):
            raise GraphFailure(
                400, 100, "(#100) video_data requires a thumbnail: image_hash or image_url", subcode=1443226
            )
        obj |= {"object_story_spec": spec, "video_id": found["id"]}
    else:
        adset = state.require(_required(form, "adset_id"), "adset", account)
        creative = _json_field(form, "creative")
        found = state.require((creative or {}).get("creative_id"), "creative", account)
        obj |= {
            "adset_id": adset["id"],
            "creative_id": found["id"],
            "status": _choice(form, "status", STATUSES, "PAUSED"),
        }
    obj["id"] = state.new_id()
    state.objects[obj["id"]] = obj
    return {"id": obj["id"]}


def _videos(state: State, method: str, account: str, form: dict[str, Any], files: dict[str, bytes], url: str) -> Any:
    if method == "GET":
        return _list(state, account, "video", form, url)
    phase = form.get("upload_phase")
    if phase == "start":
        try:
            size = int(_required(form, "file_size"))
        except ValueError:
            raise invalid("Param file_size must be an integer") from None
        if size <= 0:
            raise invalid("Param file_size must be positive")
        return state.start_upload(account, size)
    if phase == "transfer":
        chunk = files.get("video_file_chunk")
        if chunk is None:
            raise invalid("The parameter video_file_chunk is required")
        return state.transfer(account, _required(form, "upload_session_id"), int(form.get("start_offset", -1)), chunk)
    if phase == "finish":
        state.finish(account, _required(form, "upload_session_id"), str(form.get("title", "")))
        return {"success": True}
    raise invalid("Param upload_phase must be one of {start, transfer, finish}")


def account_edge(
    state: State, method: str, account: str, edge: str, form: dict[str, Any], files: dict[str, bytes], url: str
) -> Any:
    if edge == "advideos":
        return _videos(state, method, account, form, files, url)
    if edge == "adimages":
        if method == "GET" or "filename" not in files:
            raise invalid("The parameter filename (the image file) is required")
        digest = hashlib.md5(files["filename"]).hexdigest()  # Meta's image hash is an MD5
        state.objects.setdefault(digest, {"kind": "image", "account": account, "id": digest, "hash": digest})
        return {"images": {"filename": {"hash": digest, "url": f"https://fake.fbcdn.net/{digest}.jpg"}}}
    if edge == "insights":
        if method != "POST":
            raise invalid("Synchronous insights are not supported here; POST for an async report")
        since, until = report_range(form, state.today)
        if form.get("level") != "ad" or form.get("time_increment") != "1":
            raise invalid("This fake serves level=ad, time_increment=1 reports")
        report_id = state.new_id()
        # the rows are fixed when the job starts, as Meta's are
        state.reports[report_id] = {"account": account, "polls": 0, "rows": state.insight_rows(account, since, until)}
        return {"report_run_id": report_id}
    if method == "GET":
        return _list(state, account, KINDS[edge], form, url)
    return _create(state, account, edge, form)


def object_get(state: State, object_id: str, form: dict[str, Any], insights: bool = False, url: str = "") -> Any:
    report = state.reports.get(object_id)
    if report is not None:
        if insights:
            if report["polls"] < len(REPORT_STATES) - 1:
                raise invalid("The report is not ready yet")
            return _page(report["rows"], form, url)
        status = REPORT_STATES[min(report["polls"], len(REPORT_STATES) - 1)]
        report["polls"] += 1
        percent = {"Job Not Started": 0, "Job Running": 50, "Job Completed": 100}[status]
        return {"id": object_id, "async_status": status, "async_percent_completion": percent}
    obj = state.objects.get(object_id)
    if obj is None or insights:
        raise GraphFailure(
            400, 100, f"(#100) Unsupported get request. Object with ID '{object_id}' does not exist", subcode=33
        )
    if obj["kind"] == "video":
        obj["polls"] += 1
        ready = obj["polls"] > READY_AFTER_POLLS
        obj["status"] = {
            "video_status": "ready" if ready else "processing",
            "processing_progress": 100 if ready else 40,
        }
    return _fields(obj, form)


def object_post(state: State, object_id: str, form: dict[str, Any]) -> Any:
    obj = state.objects.get(object_id)
    if obj is None or obj["kind"] not in {"adset", "ad", "campaign"}:
        raise GraphFailure(
            400, 100, f"(#100) Object with ID '{object_id}' does not exist or cannot be updated", subcode=33
        )
    if "daily_budget" in form:
        if obj["kind"] != "adset":
            raise invalid("daily_budget is set on the ad set here")
        budget = int(form["daily_budget"])
        if budget < MIN_DAILY_BUDGET:
            raise GraphFailure(400, 100, "(#100) The daily budget is too low", subcode=1885272)
        obj["daily_budget"] = budget
        obj["budget_changes"] = obj.get("budget_changes", 0) + 1
    if "status" in form:
        obj["status"] = _choice(form, "status", STATUSES)
    return {"success": True}


def report_range(form: dict[str, Any], today: date) -> tuple[date, date]:
    """An insights request's time_range (JSON), defaulting to the last 7 days."""
    value = _json_field(form, "time_range", required=False)
    if isinstance(value, dict):
        try:
            return date.fromisoformat(value["since"]), date.fromisoformat(value["until"])
        except (KeyError, ValueError):
            raise invalid("Param time_range must be {since, until} as YYYY-MM-DD") from None
    return today - timedelta(days=7), today
