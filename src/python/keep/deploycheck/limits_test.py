from keep.deploycheck.schemas import validate_limits


def test_limits_configmaps_are_checked_by_ratelimits_own_loader() -> None:
    # The reference's keys (wildcards, share_threshold, shadow_mode) are valid in a ConfigMap.
    doc = {
        "domain": "keep",
        "descriptors": [
            {
                "key": "path",
                "value": "/files/*",
                "share_threshold": True,
                "shadow_mode": True,
                "rate_limit": {"unit": "minute", "requests_per_unit": 10},
            }
        ],
    }
    assert validate_limits(doc) == []


def test_a_bad_limits_configmap_says_where_and_why() -> None:
    doc = {"domain": "keep", "descriptors": [{"key": "a", "ratelimit": {"unit": "day"}}]}
    assert validate_limits(doc) == ["descriptors.0.ratelimit: unknown key 'ratelimit'"]
