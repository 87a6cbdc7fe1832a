"""The custom search attributes, defined once: registered by `ugc up`, `ugc temporal-setup` and the tests'
servers, set when a workflow starts and upserted by workflows as they learn a value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

if TYPE_CHECKING:
    from temporalio.client import Client

# who the work is for: the client's id (the JWT sub); an admin's id for benchmarks and training they started
OWNER = SearchAttributeKey.for_keyword("UgcOwner")
CREATIVE_ID = SearchAttributeKey.for_keyword("UgcCreativeId")
VIDEO_ASSET_ID = SearchAttributeKey.for_keyword("UgcVideoAssetId")
PRODUCT_CATEGORY = SearchAttributeKey.for_keyword("UgcProductCategory")
# a list: one orchestration scores several platforms, and `UgcPlatform = 'tiktok'` matches any element
PLATFORM = SearchAttributeKey.for_keyword_list("UgcPlatform")
# why it runs: an analysis's trigger (benchmark, conversions, force), `schedule` or `manual` for training
TRIGGER = SearchAttributeKey.for_keyword("UgcTrigger")
AD_ACCOUNT = SearchAttributeKey.for_keyword("UgcAdAccount")

ALL_KEYS: tuple[SearchAttributeKey[Any], ...] = (
    OWNER,
    CREATIVE_ID,
    VIDEO_ASSET_ID,
    PRODUCT_CATEGORY,
    PLATFORM,
    TRIGGER,
    AD_ACCOUNT,
)

# workflows that upsert: runs started before this code replay without the upsert commands
UPSERT_PATCH = "search-attributes"

_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` arguments that register every attribute (idempotent on each start)."""
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={_TYPE_NAMES[key.indexed_value_type]}"]
    return flags


def _pairs(values: dict[SearchAttributeKey[Any], Any]) -> list[SearchAttributePair[Any]]:
    pairs: list[SearchAttributePair[Any]] = []
    for key, value in values.items():
        if value is None or value == "" or value == []:
            continue
        if key.indexed_value_type is SearchAttributeIndexedValueType.KEYWORD_LIST:
            value = sorted({str(item) for item in value})
        else:
            value = str(value)
        pairs.append(SearchAttributePair(key, value))
    return pairs


def search_attributes(values: dict[SearchAttributeKey[Any], Any]) -> TypedSearchAttributes:
    """The attributes to start a workflow with; unknown (None or empty) values are left out."""
    return TypedSearchAttributes(_pairs(values))


def upsert(values: dict[SearchAttributeKey[Any], Any]) -> None:
    """In a workflow: set what differs from the run's current attributes (none for runs older than the patch)."""
    if not workflow.patched(UPSERT_PATCH):
        return
    current = workflow.info().typed_search_attributes
    changed = [pair for pair in _pairs(values) if current.get(pair.key) != pair.value]
    if changed:
        workflow.upsert_search_attributes([pair.key.value_set(pair.value) for pair in changed])


def inherited(keys: Sequence[SearchAttributeKey[Any]]) -> dict[SearchAttributeKey[Any], Any]:
    """In a workflow: those of its own attributes a child should start with."""
    current = workflow.info().typed_search_attributes
    return {key: current.get(key) for key in keys}


async def register_search_attributes(client: Client) -> list[str]:
    """Add the attributes missing from the client's namespace (an existing cluster); the names added."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
    from temporalio.service import RPCError, RPCStatusCode

    namespace = client.namespace
    try:
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        existing = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError as err:
        if err.status is not RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server only adds
            raise
        existing = set()
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in ALL_KEYS
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
