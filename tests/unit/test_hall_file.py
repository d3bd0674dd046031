"""The hall TOML file: the sample loads, and every kind of mistake is named with its place.

Each broken file is the small GOOD hall below with one edit; the expected line is found in the
edited text, so the tests read like "the mistake is reported on the line that has it".
"""

from __future__ import annotations

import pathlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hallq.server.hall_file import (
    LANGUAGES,
    AppointmentRules,
    DeviceCommandAges,
    HallConfig,
    HallConfigError,
    KioskSettings,
    Problem,
    QueueRules,
    load_hall_config,
    parse_hall_config,
    sample_hall_path,
)
from hallq.server.hall_file.locate import key_lines
from hallq.server.queue.hours import OpeningHours

GOOD = """\
[hall]
code = "test-hall"
timezone = "Asia/Hong_Kong"
languages = ["zh-Hant", "zh-Hans", "en"]
announce = ["yue", "cmn", "en"]

[hall.name]
zh-Hant = "測試大廳"
zh-Hans = "测试大厅"
en = "Test hall"

[[zones]]
code = "A"
name = { zh-Hant = "甲區", zh-Hans = "甲区", en = "Zone A" }

[[zones]]
code = "B"
name = { zh-Hant = "乙區", zh-Hans = "乙区", en = "Zone B" }

[[services]]
code = "property-transfer"
prefix = "A"
zone = "A"
target_wait = 30
daily_cap = 400

[services.name]
zh-Hant = "物業過戶"
zh-Hans = "物业过户"
en = "Property transfer"

[services.documents]
zh-Hant = ["身份證", "業權證明"]
zh-Hans = ["身份证", "业权证明"]
en = ["ID card", "Title deed"]

[services.hours]
mon = ["09:00-12:30", "13:30-17:00"]
sat = ["09:00-12:00"]

[[services]]
code = "vehicle-transfer"
prefix = "B"
zone = "B"
target_wait = 20

[services.name]
zh-Hant = "車輛過戶"
zh-Hans = "车辆过户"
en = "Vehicle transfer"

[services.hours]
mon = ["09:00-17:00"]

[[services]]
code = "consultation"
prefix = "D"
zone = "B"
target_wait = 15
name = { zh-Hant = "諮詢", zh-Hans = "咨询", en = "Enquiries" }
hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }

[[counters]]
number = 1
zone = "A"
profile = [["property-transfer"], { consultation = 0.5 }]

[[counters]]
number = 2
zone = "B"
name = "General"
profile = [
    ["vehicle-transfer", "consultation"],
    ["property-transfer"],
]

[[devices]]
name = "kiosk-1"
kind = "kiosk"

[[devices]]
name = "display-a"
kind = "display"
zone = "A"

[[devices]]
name = "counter-1"
kind = "counter"
counter = 1
"""


def edit(old: str, new: str, text: str = GOOD, nth: int = 1) -> str:
    """Replace the nth occurrence of ``old`` (which must be there) with ``new``."""
    start = -1
    for _ in range(nth):
        start = text.find(old, start + 1)
        assert start >= 0, f"{old!r} not found {nth} times"
    return text[:start] + new + text[start + len(old) :]


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the line where the nth ``needle`` starts."""
    start = -1
    for _ in range(nth):
        start = text.find(needle, start + 1)
        assert start >= 0, f"{needle!r} not found {nth} times"
    return text.count("\n", 0, start) + 1


def problems_in(tmp_path: pathlib.Path, text: str) -> list[Problem]:
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HallConfigError) as raised:
        load_hall_config(path)
    return raised.value.problems


def only_problem(tmp_path: pathlib.Path, text: str) -> Problem:
    found = problems_in(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


# -- the sample hall ---------------------------------------------------------------------------


def test_sample_hall_loads_without_errors_or_warnings() -> None:
    hall = load_hall_config(sample_hall_path())
    assert hall.warnings == ()
    assert hall.timezone == "Asia/Hong_Kong"
    assert hall.languages == LANGUAGES
    assert hall.announce == ("yue", "cmn", "en")
    assert [zone.code for zone in hall.zones] == ["A", "B", "C"]
    assert len({service.prefix for service in hall.services}) == len(hall.services) == 5
    assert 8 <= len(hall.counters) <= 10
    for service in hall.services:
        assert all(service.name[language] for language in LANGUAGES)
        counts = {len(service.documents[language]) for language in LANGUAGES}
        assert len(counts) == 1 and counts != {0}, service.code


def test_sample_hall_states_every_engine_setting() -> None:
    hall = load_hall_config(sample_hall_path())
    # The sample writes out the defaults, so that a hall sees what it may change.
    assert hall.rules == QueueRules()
    assert (
        hall.rules.reinstate_within_minutes,
        hall.rules.reinstate_places,
        hall.rules.max_priority_in_a_row,
    ) == (30, 3, 3)
    assert hall.device_commands == DeviceCommandAges(600, 180, 43200)
    assert hall.public_url is None  # shown commented out: HALLQ_PUBLIC_URL or the file's
    typical = {service.code: service.typical_minutes for service in hall.services}
    assert typical["property-transfer"] == 12 and typical["consultation"] == 4
    # Every service states one, shorter than what its customers are asked to wait.
    for service in hall.services:
        assert service.typical_minutes is not None
        assert 0.5 <= service.typical_minutes <= service.target_wait, service.code


def test_sample_hall_keeps_real_hours_and_caps() -> None:
    hall = load_hall_config(sample_hall_path())
    transfer = hall.service("property-transfer")
    assert transfer.daily_cap is not None
    assert transfer.hours.to_json()["mon"] == ["09:00-12:30", "13:30-17:00"]
    assert transfer.hours.to_json()["sun"] == []
    assert all(service.daily_cap for service in hall.services if "transfer" in service.code)
    sunday_noon = datetime(2024, 6, 9, 12, 0, tzinfo=ZoneInfo(hall.timezone))
    assert not any(service.hours.is_open(sunday_noon) for service in hall.services)


def test_sample_hall_devices_two_kiosks_a_display_per_zone_an_agent_per_counter() -> None:
    hall = load_hall_config(sample_hall_path())
    kinds = [device.kind for device in hall.devices]
    assert kinds.count("kiosk") == 2
    # One board per zone, and one at the entrance for the whole hall.
    zones = [d.zone for d in hall.devices if d.kind == "display"]
    assert sorted(zone or "" for zone in zones) == ["", "A", "B", "C"]
    agents = {device.counter: device for device in hall.devices if device.kind == "counter"}
    assert set(agents) == {counter.number for counter in hall.counters}
    assert all(agents[c.number].name == f"counter-{c.number}" for c in hall.counters)
    assert all(agents[c.number].zone == c.zone for c in hall.counters)


def test_as_demo_opens_every_service_all_day_without_caps() -> None:
    hall = load_hall_config(sample_hall_path())
    demo = hall.as_demo()
    sunday_midnight = datetime(2024, 6, 9, 0, 0, tzinfo=ZoneInfo(hall.timezone))
    for service in demo.services:
        assert service.hours == OpeningHours.always()
        assert service.hours.is_open(sunday_midnight)
        assert service.daily_cap is None
    # The same hall otherwise, and the real one is untouched.
    assert demo.counters == hall.counters and demo.zones == hall.zones
    assert hall.service("property-transfer").daily_cap is not None
    assert demo.as_demo() == demo


# -- a good small hall ---------------------------------------------------------------------------


def test_good_hall_builds_frozen_config() -> None:
    hall = parse_hall_config(GOOD)
    assert isinstance(hall, HallConfig)
    assert hall.warnings == ()
    assert hall.rules == QueueRules()  # [queue] left out: defaults
    assert hall.device_commands == DeviceCommandAges()  # [device_commands] left out too
    assert hall.public_url is None
    assert all(service.typical_minutes is None for service in hall.services)
    assert hall.name["en"] == "Test hall"
    assert hall.counter(1).tiers == (
        (("property-transfer", 1.0),),
        (("consultation", 0.5),),
    )
    assert hall.counter(2).name == "General"
    assert hall.counter(1).service_codes == {"property-transfer", "consultation"}
    # Services without [services.documents] still list every language, empty.
    assert dict(hall.service("vehicle-transfer").documents) == dict.fromkeys(LANGUAGES, ())
    assert hall.service("property-transfer").documents["en"] == ("ID card", "Title deed")
    # A counter device stands in its counter's zone.
    assert hall.devices[2].zone == "A" and hall.devices[2].counter == 1
    assert hall.devices[0].zone is None
    with pytest.raises(TypeError):
        hall.name["en"] = "changed"  # type: ignore[index]
    with pytest.raises(KeyError):
        hall.service("nothing")


def test_queue_rules_are_read() -> None:
    text = GOOD.replace(
        "[[zones]]",
        "[queue]\nno_show_after_recalls = 3\nservice_time_window = 50\n"
        "default_service_minutes = 7.5\n\n[[zones]]",
        1,
    )
    assert parse_hall_config(text).rules == QueueRules(3, 50, 7.5)


def test_queue_defaults_for_reinstating_and_the_green_channel() -> None:
    rules = parse_hall_config(GOOD).rules
    assert rules.reinstate_within_minutes == 30
    assert rules.reinstate_places == 3
    assert rules.max_priority_in_a_row == 3


def test_reinstating_and_green_channel_rules_are_read() -> None:
    text = GOOD.replace(
        "[[zones]]",
        "[queue]\nreinstate_within_minutes = 0\nreinstate_places = 50\n"
        "max_priority_in_a_row = 1\n\n[[zones]]",
        1,
    )
    rules = parse_hall_config(text).rules
    assert (rules.reinstate_within_minutes, rules.reinstate_places) == (0, 50)
    assert rules.max_priority_in_a_row == 1
    assert rules.no_show_after_recalls == 2  # the keys left out keep their defaults


def test_device_command_ages_are_read() -> None:
    text = GOOD.replace(
        "[[zones]]",
        "[device_commands]\nprint_job_max_age = 10\nrating_request_max_age = 3600\n"
        "sign_text_max_age = 604800\n\n[[zones]]",
        1,
    )
    assert parse_hall_config(text).device_commands == DeviceCommandAges(10, 3600, 604800)
    text = GOOD.replace("[[zones]]", "[device_commands]\nprint_job_max_age = 90\n\n[[zones]]", 1)
    assert parse_hall_config(text).device_commands == DeviceCommandAges(print_job_max_age=90)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("https://queue.example.org", "https://queue.example.org"),
        ("https://queue.example.org/", "https://queue.example.org"),
        ("http://10.0.0.5:8000/hall/", "http://10.0.0.5:8000/hall"),
        ("https://example.org/queues/harbour", "https://example.org/queues/harbour"),
    ],
)
def test_public_url_is_read_without_its_trailing_slash(written: str, stored: str) -> None:
    text = edit(
        'announce = ["yue", "cmn", "en"]\n',
        f'announce = ["yue", "cmn", "en"]\npublic_url = "{written}"\n',
    )
    assert parse_hall_config(text).public_url == stored


def test_typical_minutes_are_read_whole_or_not() -> None:
    text = edit("target_wait = 30\n", "target_wait = 30\ntypical_minutes = 12\n")
    text = edit("target_wait = 15\n", "target_wait = 15\ntypical_minutes = 2.5\n", text)
    hall = parse_hall_config(text)
    assert hall.service("property-transfer").typical_minutes == 12.0
    assert isinstance(hall.service("property-transfer").typical_minutes, float)
    assert hall.service("consultation").typical_minutes == 2.5
    assert hall.service("vehicle-transfer").typical_minutes is None


# -- each mistake, with its place ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reinstate_within_minutes", "241", "must be at most 240 (got 241)"),
        ("reinstate_within_minutes", "-1", "must be at least 0 (got -1)"),
        ("reinstate_within_minutes", "1.5", "expected a whole number, got a number 1.5"),
        ("reinstate_places", "51", "must be at most 50 (got 51)"),
        ("reinstate_places", '"3"', 'expected a whole number, got text "3"'),
        ("max_priority_in_a_row", "0", "must be at least 1 (got 0)"),
        ("max_priority_in_a_row", "21", "must be at most 20 (got 21)"),
    ],
)
def test_bad_queue_rules(tmp_path: pathlib.Path, key: str, value: str, message: str) -> None:
    text = GOOD.replace("[[zones]]", f"[queue]\n{key} = {value}\n\n[[zones]]", 1)
    problem = only_problem(tmp_path, text)
    assert problem.where == f"queue.{key}"
    assert problem.line == line_of(text, f"{key} = {value}")
    assert problem.message == message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("print_job_max_age", "9", "must be at least 10 (got 9)"),
        ("print_job_max_age", "86401", "must be at most 86400 (got 86401)"),
        ("rating_request_max_age", "5", "must be at least 10 (got 5)"),
        ("rating_request_max_age", "3601", "must be at most 3600 (got 3601)"),
        ("sign_text_max_age", "59", "must be at least 60 (got 59)"),
        ("sign_text_max_age", "604801", "must be at most 604800 (got 604801)"),
        ("sign_text_max_age", '"12h"', 'expected a whole number, got text "12h"'),
    ],
)
def test_bad_device_command_ages(
    tmp_path: pathlib.Path, key: str, value: str, message: str
) -> None:
    text = GOOD.replace("[[zones]]", f"[device_commands]\n{key} = {value}\n\n[[zones]]", 1)
    problem = only_problem(tmp_path, text)
    assert problem.where == f"device_commands.{key}"
    assert problem.line == line_of(text, f"{key} = {value}")
    assert problem.message == message


def test_unknown_key_in_device_commands(tmp_path: pathlib.Path) -> None:
    text = GOOD.replace("[[zones]]", "[device_commands]\nprint_max_age = 60\n\n[[zones]]", 1)
    problem = only_problem(tmp_path, text)
    assert problem.where == "device_commands.print_max_age"
    assert problem.line == line_of(text, "print_max_age")
    assert problem.message == 'unknown key "print_max_age" — did you mean "print_job_max_age"?'


def test_kiosk_and_appointment_settings(tmp_path: pathlib.Path) -> None:
    text = GOOD.replace(
        "[[zones]]",
        '[kiosk]\nstaff_pin = "024680"\nidle_seconds = 45\nticket_seconds = 10\n'
        '[kiosk.footer]\nzh-Hant = "多謝"\nzh-Hans = "谢谢"\nen = "Thanks"\n\n'
        "[appointments]\ncheck_in_before = 20\ncheck_in_after = 5\n\n[[zones]]",
        1,
    )
    hall = parse_hall_config(text)
    assert hall.kiosk == KioskSettings(
        "024680", 45, 10, {"zh-Hant": "多謝", "zh-Hans": "谢谢", "en": "Thanks"}
    )
    assert hall.appointments == AppointmentRules(20, 5)
    assert parse_hall_config(GOOD).kiosk == KioskSettings()  # left out: no PIN, defaults


@pytest.mark.parametrize(
    ("table", "key", "value", "message"),
    [
        ("kiosk", "staff_pin", '"12"', "use 4 to 8 digits, like 2468"),
        ("kiosk", "staff_pin", "2468", "got a whole number 2468"),
        ("kiosk", "idle_seconds", "4", "must be at least 5 (got 4)"),
        ("kiosk", "ticket_seconds", "61", "must be at most 60 (got 61)"),
        ("appointments", "check_in_before", "241", "must be at most 240 (got 241)"),
        ("appointments", "check_in_after", "-1", "must be at least 0 (got -1)"),
    ],
)
def test_bad_kiosk_and_appointment_settings(
    tmp_path: pathlib.Path, table: str, key: str, value: str, message: str
) -> None:
    text = GOOD.replace("[[zones]]", f"[{table}]\n{key} = {value}\n\n[[zones]]", 1)
    problem = only_problem(tmp_path, text)
    assert problem.where == f"{table}.{key}"
    assert problem.line == line_of(text, f"{key} = {value}")
    assert message in problem.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"queue.example.org"', "an http:// or https:// address like https://queue.example.org"),
        ('"ftp://queue.example.org"', "an http:// or https:// address"),
        ('"https://"', "an http:// or https:// address"),
        ('"/t/"', "an http:// or https:// address"),
        ('"https://queue.example.org/?hall=1"', "leave out the query (from the ?)"),
        ('"https://queue.example.org/#top"', "leave out the fragment (from the #)"),
        ('"https://queue.example.org:80a"', "an http:// or https:// address"),
        ('"https://queue example.org"', "an address has no spaces"),
        ('"https://me:secret@queue.example.org"', "leave out the user name and password"),
        ("8000", "expected text in quotes"),
    ],
)
def test_bad_public_url(tmp_path: pathlib.Path, value: str, message: str) -> None:
    text = edit(
        'announce = ["yue", "cmn", "en"]\n',
        f'announce = ["yue", "cmn", "en"]\npublic_url = {value}\n',
    )
    problem = only_problem(tmp_path, text)
    assert problem.where == "hall.public_url"
    assert problem.line == line_of(text, "public_url =")
    assert message in problem.message
    if value.startswith('"'):
        assert problem.message.startswith(f"{value} is not valid: ")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.25", "must be at least 0.5 (got 0.25)"),
        ("241", "must be at most 240 (got 241)"),
        ('"12"', 'expected a number, got text "12"'),
        ("true", "expected a number, got true/false true"),
        ("nan", "must be a finite number"),
    ],
)
def test_bad_typical_minutes(tmp_path: pathlib.Path, value: str, message: str) -> None:
    text = edit("target_wait = 20\n", f"target_wait = 20\ntypical_minutes = {value}\n")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[2] "vehicle-transfer" .typical_minutes'
    assert problem.line == line_of(text, f"typical_minutes = {value}")
    assert problem.message == message


def test_toml_syntax_error_gives_tomllib_line_and_column(tmp_path: pathlib.Path) -> None:
    text = edit("target_wait = 30", "target_wait = 30 minutes")
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "target_wait = 30 minutes")
    assert problem.where == ""
    assert "not valid TOML" in problem.message and "column" in problem.message


def test_syntax_error_at_the_end_of_the_file(tmp_path: pathlib.Path) -> None:
    text = GOOD + 'extra = "never closed\n'
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "extra =")


def test_unknown_key_suggests_the_right_one(tmp_path: pathlib.Path) -> None:
    text = edit('prefix = "A"', 'prefx = "A"')
    found = problems_in(tmp_path, text)
    unknown = next(p for p in found if p.where.endswith(".prefx"))
    assert unknown.where == 'services[1] "property-transfer" .prefx'
    assert unknown.line == line_of(text, "prefx")
    assert 'did you mean "prefix"' in unknown.message
    # ...and the real key is then missing, reported at the service's [[services]] line.
    missing = next(p for p in found if p.where.endswith(".prefix"))
    assert missing.line == line_of(text, "[[services]]")


def test_unknown_top_level_table(tmp_path: pathlib.Path) -> None:
    text = GOOD + "\n[[counter]]\nnumber = 3\n"
    problem = only_problem(tmp_path, text)
    assert problem.where == "counter"
    assert problem.line == line_of(text, "[[counter]]")


def test_missing_required_key_is_reported_where_its_table_starts(tmp_path: pathlib.Path) -> None:
    text = edit('prefix = "B"\n', "")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[2] "vehicle-transfer" .prefix'
    assert problem.line == line_of(text, "[[services]]", nth=2)
    assert problem.message == 'missing required key "prefix"'


def test_wrong_type(tmp_path: pathlib.Path) -> None:
    text = edit("target_wait = 20", 'target_wait = "20"')
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[2] "vehicle-transfer" .target_wait'
    assert problem.line == line_of(text, 'target_wait = "20"')
    assert problem.message == 'expected a whole number, got text "20"'


def test_out_of_range_number(tmp_path: pathlib.Path) -> None:
    text = edit("target_wait = 20", "target_wait = 900")
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "target_wait = 900")
    assert problem.message == "must be at most 600 (got 900)"


def test_name_missing_a_language_in_a_sub_table(tmp_path: pathlib.Path) -> None:
    text = edit('en = "Vehicle transfer"\n', "")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[2] "vehicle-transfer" .name.en'
    assert problem.line == line_of(text, "[services.name]", nth=2)
    assert "missing the en name" in problem.message


def test_name_missing_a_language_in_an_inline_table(tmp_path: pathlib.Path) -> None:
    text = edit(', en = "Zone B"', "")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'zones[2] "B" .name.en'
    assert problem.line == line_of(text, 'name = { zh-Hant = "乙區"')


def test_name_in_an_unknown_language_and_an_empty_name(tmp_path: pathlib.Path) -> None:
    text = edit('en = "Test hall"', 'en = " "\nja = "テスト"')
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line) for p in found] == [
        ("hall.name.en", line_of(text, 'en = " "')),
        ("hall.name.ja", line_of(text, "ja =")),
    ]
    assert found[0].message == "must not be empty"
    assert found[1].message.startswith('unknown language "ja"')


def test_unknown_zone(tmp_path: pathlib.Path) -> None:
    text = edit('zone = "B"', 'zone = "b"')
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[2] "vehicle-transfer" .zone'
    assert problem.line == line_of(text, 'zone = "b"')
    assert problem.message == 'unknown zone "b" — did you mean "B"? (declared zones: A, B)'


def test_duplicate_service_code(tmp_path: pathlib.Path) -> None:
    text = edit('code = "consultation"', 'code = "vehicle-transfer"')
    found = problems_in(tmp_path, text)
    duplicate = found[0]
    assert duplicate.where == 'services[3] "vehicle-transfer" .code'
    assert duplicate.line == line_of(text, 'code = "vehicle-transfer"', nth=2)
    second_service = line_of(text, "[[services]]", nth=2)
    assert duplicate.message == (
        f'service code "vehicle-transfer" is already used by services[2] (line {second_service})'
    )


def test_duplicate_prefix_names_the_service_that_has_it(tmp_path: pathlib.Path) -> None:
    text = edit('prefix = "B"', 'prefix = "A"')
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[2] "vehicle-transfer" .prefix'
    assert problem.line == line_of(text, 'prefix = "A"', nth=2)
    first_service = line_of(text, "[[services]]")
    assert problem.message == (
        f'prefix "A" is already used by services[1] "property-transfer" (line {first_service})'
    )


@pytest.mark.parametrize("prefix", ['"AB"', '"a"', '"1"', '""', "1"])
def test_bad_prefix(tmp_path: pathlib.Path, prefix: str) -> None:
    text = edit('prefix = "D"', f"prefix = {prefix}")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[3] "consultation" .prefix'
    assert problem.line == line_of(text, f"prefix = {prefix}")
    expected = "expected text" if prefix == "1" else "one capital letter A-Z"
    assert expected in problem.message


def test_unknown_service_in_a_counter_profile(tmp_path: pathlib.Path) -> None:
    text = edit("{ consultation = 0.5 }", "{ consultaton = 0.5 }")
    found = problems_in(tmp_path, text)
    assert found[0].where == "counters[1] (counter 1) .profile[2].consultaton"
    assert found[0].line == line_of(text, "consultaton")
    assert found[0].message == 'unknown service "consultaton" — did you mean "consultation"?'


def test_service_twice_in_a_profile_spread_over_lines(tmp_path: pathlib.Path) -> None:
    text = edit('    ["property-transfer"],\n', '    ["property-transfer", "consultation"],\n')
    problem = only_problem(tmp_path, text)
    assert problem.where == "counters[2] (counter 2) .profile[2][2]"
    assert problem.line == line_of(text, '    ["property-transfer", "consultation"]')
    assert problem.message == 'service "consultation" is already in tier 1 of this profile'


def test_empty_profile_and_empty_tier(tmp_path: pathlib.Path) -> None:
    text = edit('profile = [["property-transfer"], { consultation = 0.5 }]', "profile = []")
    text = edit('    ["property-transfer"],\n', "    {},\n", text)
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line) for p in found] == [
        ("counters[1] (counter 1) .profile", line_of(text, "profile = []")),
        ("counters[2] (counter 2) .profile[2]", line_of(text, "    {},")),
    ]
    assert found[0].message.startswith("empty profile")
    assert found[1].message.startswith("empty tier")


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("0", "more than 0 and at most 10 (got 0)"),
        ("10.5", "more than 0 and at most 10 (got 10.5)"),
        ('"high"', 'expected a weight number, got text "high"'),
    ],
)
def test_bad_weight(tmp_path: pathlib.Path, weight: str, message: str) -> None:
    text = edit("consultation = 0.5", f"consultation = {weight}")
    problem = only_problem(tmp_path, text)
    assert problem.where == "counters[1] (counter 1) .profile[2].consultation"
    assert problem.line == line_of(text, "{ consultation")
    assert message in problem.message


def test_tier_that_is_neither_list_nor_table(tmp_path: pathlib.Path) -> None:
    text = edit("{ consultation = 0.5 }", '"consultation"')
    problem = only_problem(tmp_path, text)
    assert problem.where == "counters[1] (counter 1) .profile[2]"
    assert "a list of service codes or a table" in problem.message


def test_duplicate_counter_number(tmp_path: pathlib.Path) -> None:
    text = edit("number = 2", "number = 1")
    problem = only_problem(tmp_path, text)
    assert problem.where == "counters[2] (counter 1) .number"
    assert problem.line == line_of(text, "number = 1", nth=2)
    assert problem.message == (
        f"counter number 1 is already used by counters[1] (line {line_of(text, '[[counters]]')})"
    )


@pytest.mark.parametrize(
    ("hours", "where", "message"),
    [
        ('mon = ["9-12", "13:30-17:00"]', "mon[1]", "is not a time range"),
        ('mon = ["09:00-12:30", "17:00-13:30"]', "mon[2]", "ends before it starts"),
        ('mon = ["09:00-12:30", "12:00-17:00"]', "mon[2]", 'overlaps "09:00-12:30"'),
        ('monday = ["09:00-12:30"]', "monday", 'unknown day "monday"'),
        ('mon = ["09:00-12:60"]', "mon[1]", "minutes must be 00-59"),
        ('mon = ["09:00-25:00"]', "mon[1]", "hour must be 00-24"),
        ('mon = "09:00-17:00"', "mon", "expected a list"),
    ],
)
def test_bad_hours(tmp_path: pathlib.Path, hours: str, where: str, message: str) -> None:
    text = edit('mon = ["09:00-12:30", "13:30-17:00"]', hours)
    problem = only_problem(tmp_path, text)
    assert problem.where == f'services[1] "property-transfer" .hours.{where}'
    assert problem.line == line_of(text, hours)
    assert message in problem.message


def test_bad_hours_in_an_inline_table_and_a_multi_line_list(tmp_path: pathlib.Path) -> None:
    text = edit(
        'hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }',
        'hours = { mon = ["09:00-17:00"], tue = [\n    "09:00-12:00",\n    "11:00-17:00",\n] }',
    )
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[3] "consultation" .hours.tue[2]'
    assert problem.line == line_of(text, '    "11:00-17:00"')


def test_bad_timezone(tmp_path: pathlib.Path) -> None:
    text = edit('timezone = "Asia/Hong_Kong"', 'timezone = "Asia/HongKong"')
    problem = only_problem(tmp_path, text)
    assert problem.where == "hall.timezone"
    assert problem.line == line_of(text, "timezone =")
    assert problem.message == 'unknown time zone "Asia/HongKong" — did you mean "Asia/Hong_Kong"?'


def test_unknown_and_repeated_languages(tmp_path: pathlib.Path) -> None:
    text = edit('languages = ["zh-Hant", "zh-Hans", "en"]', 'languages = ["zh-Hant", "fr"]')
    text = edit('announce = ["yue", "cmn", "en"]', 'announce = ["yue", "yue"]', text)
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line) for p in found] == [
        ("hall.languages[2]", line_of(text, "languages =")),
        ("hall.announce[2]", line_of(text, "announce =")),
    ]
    assert found[0].message.startswith('"fr" is not allowed: use one of "zh-Hant"')
    assert found[1].message == '"yue" is listed twice'


def test_documents_of_different_lengths(tmp_path: pathlib.Path) -> None:
    text = edit('en = ["ID card", "Title deed"]', 'en = ["ID card"]')
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[1] "property-transfer" .documents.en'
    assert problem.line == line_of(text, 'en = ["ID card"]')
    assert "lists 1 documents but zh-Hant lists 2" in problem.message


def test_documents_missing_a_language(tmp_path: pathlib.Path) -> None:
    text = edit('zh-Hans = ["身份证", "业权证明"]\n', "")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'services[1] "property-transfer" .documents.zh-Hans'
    assert problem.line == line_of(text, "[services.documents]")


def test_counter_device_without_a_counter(tmp_path: pathlib.Path) -> None:
    text = edit("counter = 1\n", "")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'devices[3] "counter-1" .counter'
    assert problem.line == line_of(text, "[[devices]]", nth=3)
    assert "needs counter" in problem.message


def test_counter_device_with_an_unknown_counter(tmp_path: pathlib.Path) -> None:
    text = edit("counter = 1", "counter = 7")
    problem = only_problem(tmp_path, text)
    assert problem.where == 'devices[3] "counter-1" .counter'
    assert problem.line == line_of(text, "counter = 7")
    assert problem.message == "unknown counter 7 (declared counters: 1, 2)"


def test_kiosk_with_a_counter_and_display_in_an_unknown_zone(tmp_path: pathlib.Path) -> None:
    text = edit('kind = "kiosk"\n', 'kind = "kiosk"\ncounter = 1\n')
    text = edit(
        'zone = "A"\n\n[[devices]]\nname = "counter-1"',
        'zone = "Z"\n\n[[devices]]\nname = "counter-1"',
        text,
    )
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line) for p in found] == [
        ('devices[1] "kiosk-1" .counter', line_of(text, "counter = 1")),
        ('devices[2] "display-a" .zone', line_of(text, 'zone = "Z"')),
    ]


def test_counter_device_in_another_zone_than_its_counter(tmp_path: pathlib.Path) -> None:
    text = edit("counter = 1\n", 'counter = 1\nzone = "B"\n')
    problem = only_problem(tmp_path, text)
    assert problem.where == 'devices[3] "counter-1" .zone'
    assert 'counter 1 is in zone "A"' in problem.message


def test_duplicate_device_names_and_bad_kind(tmp_path: pathlib.Path) -> None:
    text = edit('name = "display-a"\nkind = "display"', 'name = "kiosk-1"\nkind = "screen"')
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line) for p in found] == [
        ('devices[2] "kiosk-1" .name', line_of(text, 'name = "kiosk-1"', nth=2)),
        ('devices[2] "kiosk-1" .kind', line_of(text, 'kind = "screen"')),
    ]
    assert found[0].message.startswith('device name "kiosk-1" is already used by devices[1]')


def test_missing_counters_and_hall(tmp_path: pathlib.Path) -> None:
    text = GOOD[GOOD.index("[[zones]]") : GOOD.index("[[counters]]")]
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line, p.message) for p in found] == [
        ("hall", None, "missing the [hall] table"),
        ("counters", None, "missing: declare at least one [[counters]]"),
    ]


def test_a_service_no_counter_serves_is_a_warning(tmp_path: pathlib.Path) -> None:
    text = edit("{ consultation = 0.5 }", "{ vehicle-transfer = 0.5 }")
    text = edit('["vehicle-transfer", "consultation"]', '["vehicle-transfer"]', text)
    hall = parse_hall_config(text)
    assert hall.warnings == (
        Problem(
            'services[3] "consultation"',
            line_of(text, "[[services]]", nth=3),
            "no counter serves this service: its tickets would never be called",
        ),
    )


def test_a_service_closed_every_day_is_a_warning() -> None:
    text = edit('hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }', "hours = {}")
    hall = parse_hall_config(text)
    assert [(w.where, w.line) for w in hall.warnings] == [
        ('services[3] "consultation" .hours', line_of(text, "hours = {}"))
    ]
    assert hall.service("consultation").hours.is_never_open


# -- several at once, and how they read ----------------------------------------------------------


def test_every_mistake_is_reported_at_once_in_file_order(tmp_path: pathlib.Path) -> None:
    text = edit('timezone = "Asia/Hong_Kong"', 'timezone = "Mars/Olympus"')
    text = edit('prefix = "B"', 'prefix = "A"', text)
    text = edit('mon = ["09:00-17:00"]', 'mon = ["09:00-17:70"]', text)
    text = edit("number = 2", "number = 1", text)
    text = edit("counter = 1", "counter = 9", text)
    found = problems_in(tmp_path, text)
    assert [(p.where, p.line) for p in found] == [
        ("hall.timezone", line_of(text, "timezone =")),
        ('services[2] "vehicle-transfer" .prefix', line_of(text, 'prefix = "A"', nth=2)),
        ('services[2] "vehicle-transfer" .hours.mon[1]', line_of(text, "17:70")),
        ("counters[2] (counter 1) .number", line_of(text, "number = 1", nth=2)),
        ('devices[3] "counter-1" .counter', line_of(text, "counter = 9")),
    ]


def test_error_text_is_one_line_per_problem_file_line_where_message(
    tmp_path: pathlib.Path,
) -> None:
    text = edit("target_wait = 20", "target_wait = 0")
    text = edit('zone = "A"', 'zone = "Q"', text)
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HallConfigError) as raised:
        load_hall_config(path)
    zone_line, wait_line = line_of(text, 'zone = "Q"'), line_of(text, "target_wait = 0")
    assert str(raised.value).splitlines() == [
        f'{path}:{zone_line}: services[1] "property-transfer" .zone: '
        'unknown zone "Q" (declared zones: A, B)',
        f'{path}:{wait_line}: services[2] "vehicle-transfer" .target_wait: '
        "must be at least 1 (got 0)",
    ]


def test_parse_names_its_source() -> None:
    with pytest.raises(HallConfigError, match=r"^my-hall:\d+: not valid TOML"):
        parse_hall_config("[hall", source="my-hall")


def test_unreadable_and_non_utf8_files(tmp_path: pathlib.Path) -> None:
    with pytest.raises(HallConfigError, match="cannot read the hall file") as raised:
        load_hall_config(tmp_path / "missing.toml")
    assert raised.value.problems[0].line is None
    big5 = tmp_path / "big5.toml"
    big5.write_bytes(b'[hall]\ncode = "x"\n# ' + "大廳".encode("big5") + b"\n")
    with pytest.raises(HallConfigError, match="save the file as UTF-8") as raised:
        load_hall_config(big5)
    assert raised.value.problems[0].line == 3


def test_byte_order_mark_is_accepted(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_hall_config(path).code == "test-hall"


# -- finding lines -------------------------------------------------------------------------------


def test_line_finder_follows_dotted_keys_quoted_keys_and_strings_that_look_like_toml() -> None:
    text = """\
# [[services]] in a comment does not count
[[services]]
code = "a"
note = '''
[[services]]
code = "not a service"
'''
"quoted key" = "x # not a comment"
name.en = "A"

[[services]]
code = "b"
hours.mon = [
    "09:00-12:00", # a comment
    "13:00-17:00",
]
"""
    lines = key_lines(text)
    assert lines[("services", 0)] == 2
    assert lines[("services", 0, "quoted key")] == 8
    assert lines[("services", 0, "name", "en")] == 9
    assert lines[("services", 1)] == 11
    assert lines[("services", 1, "code")] == 12
    assert lines[("services", 1, "hours", "mon", 1)] == 15
    assert ("services", 2) not in lines
