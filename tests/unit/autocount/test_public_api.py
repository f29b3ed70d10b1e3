"""The public surface of acgate.autocount, pinned so that a change to it is deliberate."""

import acgate.autocount


def test_public_names() -> None:
    assert sorted(acgate.autocount.__all__) == [
        "Accepted", "BridgeClient", "BridgeSettings", "CloudClient", "CloudSettings",
        "Duplicate", "InDoubt", "RateBudget", "RateLimit", "RateLimited", "Rejected",
        "RemoteDocument", "RemoteLine", "Target", "TargetError", "TargetPaused", "Timeouts",
        "Unavailable", "Unsupported", "XlsxSettings", "XlsxTarget", "json_bytes", "precheck",
    ]


def test_every_target_offers_the_whole_protocol() -> None:
    # mypy checks the signatures through this annotation; the test checks nothing is missing.
    targets: list[type[acgate.autocount.Target]] = [
        acgate.autocount.CloudClient, acgate.autocount.BridgeClient, acgate.autocount.XlsxTarget]
    protocol = acgate.autocount.Target
    members = {name for name in vars(protocol) if not name.startswith("_")}
    members |= set(protocol.__annotations__)
    assert "post" in members and "name" in members
    for target in targets:
        assert members <= set(dir(target)), target
