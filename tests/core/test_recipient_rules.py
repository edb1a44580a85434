"""Recipient rules: always Bcc, never hold a team, a threshold of their own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bccguard.core.message import read_message
from bccguard.core.policy import Action, Policy
from bccguard.core.recipient_rules import Effect, RecipientRule
from bccguard.core.verdict import Verdict, check

TEAM = [f"t{i}@team.example" for i in range(15)]
PARENTS = [f"parent{i}@home{i}.example" for i in range(4)]


def _verdict(to: list[str], *rules: RecipientRule, **values: object) -> Verdict:
    raw = f"From: me@school.example\r\nTo: {', '.join(to)}\r\n\r\n".encode()
    policy = Policy.build(rules=rules, **values)  # type: ignore[arg-type]
    return check(read_message(raw), policy)


def test_an_always_bcc_list_converts_a_few_parents_without_asking() -> None:
    rule = RecipientRule.build("Parents 3B", Effect.BCC, addresses=PARENTS)
    verdict = _verdict(PARENTS, rule)
    assert verdict.held
    assert verdict.action is Action.CONVERT
    assert "always-bcc" in verdict.to_json()["rules"]
    assert verdict.reasons[0] == "rule 'Parents 3B' always sends Bcc"
    assert verdict.to_json()["recipient_rule"] == {
        "name": "Parents 3B",
        "effect": "bcc",
    }


def test_always_bcc_wins_over_a_blocking_policy_and_any_count() -> None:
    rule = RecipientRule.build("Parents", Effect.BCC, addresses=PARENTS[:1])
    strangers = [f"s{i}@x{i}.example" for i in range(20)]
    verdict = _verdict([PARENTS[0], *strangers], rule, action=Action.BLOCK)
    assert (verdict.held, verdict.action) == (True, Action.CONVERT)


def test_always_bcc_leaves_a_lone_recipient_alone() -> None:
    rule = RecipientRule.build("Parents", Effect.BCC, addresses=PARENTS)
    verdict = _verdict([PARENTS[0], "me@school.example"], rule)
    assert (verdict.held, verdict.action, verdict.rule) == (False, Action.ASK, None)


def test_always_bcc_does_not_convert_headers_it_cannot_read_for_sure() -> None:
    rule = RecipientRule.build("Parents", Effect.BCC, addresses=PARENTS)
    raw = f"To: {', '.join(PARENTS)}, <broken\r\n\r\n".encode()
    verdict = check(read_message(raw), Policy.build(rules=[rule]))
    assert verdict.held
    assert "unreadable-recipients" in verdict.to_json()["rules"]
    assert verdict.action is Action.ASK


def test_a_domain_rule_covers_subdomains_in_their_uts46_form() -> None:
    rule = RecipientRule.build("Books", Effect.BCC, domains=["@BÜCHER.de."])
    verdict = _verdict(["a@eu.bücher.de", "b@other.example"], rule)
    assert verdict.action is Action.CONVERT
    assert not _verdict(["a@bucher.de", "b@other.example"], rule).held


def test_never_hold_passes_mail_wholly_within_the_team() -> None:
    rule = RecipientRule.build("Team", Effect.NEVER_HOLD, domains=["team.example"])
    verdict = _verdict(TEAM, rule)
    assert not verdict.held
    assert len(verdict.exposed) == 15
    assert "rule 'Team' never holds mail to its members" in verdict.reasons


def test_never_hold_never_hides_an_outsider() -> None:
    rule = RecipientRule.build("Team", Effect.NEVER_HOLD, domains=["team.example"])
    verdict = _verdict([*TEAM, "outsider@elsewhere.example"], rule)
    assert verdict.held
    assert len(verdict.exposed) == 16
    assert verdict.threshold == 10
    assert verdict.rule is None


def test_never_hold_does_not_pass_what_cannot_be_read() -> None:
    rule = RecipientRule.build("Team", Effect.NEVER_HOLD, domains=["team.example"])
    raw = f"To: {', '.join(TEAM)}; x@y\r\n\r\n".encode()
    verdict = check(read_message(raw), Policy.build(rules=[rule]))
    assert verdict.held


def test_a_looser_threshold_applies_only_to_mail_it_covers() -> None:
    rule = RecipientRule.build(
        "Team", Effect.THRESHOLD, threshold=30, domains=["team.example"]
    )
    assert not _verdict(TEAM, rule).held
    assert _verdict(TEAM, rule).threshold == 30
    mixed = _verdict([*TEAM, "o@elsewhere.example"], rule)
    assert (mixed.held, mixed.threshold) == (True, 10)


def test_a_stricter_threshold_applies_as_soon_as_it_touches() -> None:
    rule = RecipientRule.build(
        "Patients", Effect.THRESHOLD, threshold=1, domains=["clinic.example"]
    )
    verdict = _verdict(["p1@clinic.example", "a@b.example", "c@d.example"], rule)
    assert (verdict.held, verdict.threshold) == (True, 1)
    assert "rule 'Patients' sets the threshold to 1" in verdict.reasons
    assert not _verdict(["a@b.example", "c@d.example"], rule).held


def test_the_stricter_rule_wins() -> None:
    team = RecipientRule.build("Team", Effect.NEVER_HOLD, domains=["team.example"])
    high = RecipientRule.build(
        "Big", Effect.THRESHOLD, threshold=50, domains=["team.example"]
    )
    low = RecipientRule.build("Small", Effect.THRESHOLD, threshold=12, addresses=TEAM)
    bcc = RecipientRule.build("Bcc", Effect.BCC, addresses=TEAM[1:2])
    assert _verdict(TEAM, team, high).to_json()["recipient_rule"]["name"] == "Big"
    assert _verdict(TEAM, high, low).threshold == 12
    assert _verdict(TEAM, team, high, low).held  # 15 > 12
    verdict = _verdict(TEAM, team, high, low, bcc)
    assert (verdict.held, verdict.action) == (True, Action.CONVERT)


def test_trusted_colleagues_still_go_bcc_when_the_rule_says_so() -> None:
    rule = RecipientRule.build("Board", Effect.BCC, addresses=TEAM[:2])
    verdict = _verdict(TEAM[:2], rule, trusted_domains=["team.example"])
    assert verdict.exposed == ()
    assert (verdict.held, verdict.action) == (True, Action.CONVERT)


# --- properties ---------------------------------------------------------------------

PEOPLE = [f"p{i}@d{i % 4}.example" for i in range(12)]
RULES = st.builds(
    lambda effect, n, people, domains: RecipientRule.build(
        "r",
        effect,
        threshold=n,
        addresses=people,
        domains=domains,
    ),
    st.sampled_from(list(Effect)),
    st.integers(0, 12),
    st.lists(st.sampled_from(PEOPLE), max_size=6),
    st.lists(st.sampled_from(["d0.example", "d1.example"]), max_size=1),
)
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=12),
    st.lists(RULES, max_size=3),
    st.integers(0, 12),
)
def test_a_rule_never_changes_who_is_counted(
    to: list[str], rules: list[RecipientRule], threshold: int
) -> None:
    without = _verdict(to, threshold=threshold)
    with_rules = _verdict(to, *rules, threshold=threshold)
    assert with_rules.exposed == without.exposed


@FAST
@given(
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=12),
    st.lists(RULES, max_size=3),
    st.integers(0, 12),
)
def test_a_rule_never_lets_an_outsider_through(
    to: list[str], rules: list[RecipientRule], threshold: int
) -> None:
    # Mail held without rules that shows someone no rule covers stays held.
    without = _verdict(to, threshold=threshold)
    with_rules = _verdict(to, *rules, threshold=threshold)
    outsider = any(not any(r.covers(a) for r in rules) for a in without.exposed)
    if without.held and outsider:
        assert with_rules.held


@FAST
@given(
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=12),
    st.lists(RULES, min_size=1, max_size=3),
    RULES,
)
def test_adding_a_stricter_rule_never_loosens(
    to: list[str], rules: list[RecipientRule], extra: RecipientRule
) -> None:
    before = _verdict(to, *rules)
    after = _verdict(to, *rules, extra)
    if extra.effect is Effect.BCC or (
        extra.effect is Effect.THRESHOLD and (extra.threshold or 0) < 10
    ):
        assert after.held >= before.held
        if before.action is Action.CONVERT:
            assert after.action is Action.CONVERT
