"""docker-compose.yml and the Dockerfile, checked as files: there is no Docker engine on these machines,
so `docker compose config` cannot run here. The compose file is parsed, its variables are filled in
the way Compose fills them (`${VAR:-default}`), and the settings it gives rumhouse are read by
rumhouse's own settings and URL code."""

import re

import pytest
import yaml

from rumhouse.settings import Settings
from rumhouse.store.server import parse_url
from support.server import REPO

_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value, env: dict[str, str]):
    """Compose's interpolation for `${VAR}` and `${VAR:-default}`, recursively."""
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (REPO / "docker-compose.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    return interpolate(yaml.safe_load(compose_text), {})


def test_clickhouse_is_pinned_with_a_volume_and_a_health_check(compose):
    clickhouse = compose["services"]["clickhouse"]
    assert re.fullmatch(r"clickhouse/clickhouse-server:\d+\.\d+\.\d+\.\d+", clickhouse["image"]), clickhouse[
        "image"
    ]
    [data] = [v for v in clickhouse["volumes"] if v.endswith(":/var/lib/clickhouse")]
    assert data.split(":")[0] in compose["volumes"]
    assert "http://127.0.0.1:8123/ping" in " ".join(clickhouse["healthcheck"]["test"])
    assert clickhouse["environment"]["CLICKHOUSE_USER"] == "rumhouse"


def test_workers_wait_for_a_healthy_server_and_the_schema(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["rumhouse", "migrate"]
    assert services["migrate"]["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    rumhouse = services["rumhouse"]
    assert rumhouse["depends_on"] == {
        "clickhouse": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert rumhouse["command"][:2] == ["rumhouse", "serve"] and "0.0.0.0" in rumhouse["command"]
    assert "/healthz" in " ".join(rumhouse["healthcheck"]["test"])
    assert rumhouse["ports"] == ["8080:8080"]
    config = [v for v in rumhouse["volumes"] if v.endswith(":/etc/rumhouse/rumhouse.toml:ro")]
    assert config and (REPO / config[0].split(":")[0]).is_file()


def test_the_settings_it_gives_rumhouse_are_valid(compose):
    for name in ("migrate", "rumhouse"):
        env = compose["services"][name]["environment"]
        settings = Settings.from_env(env)
        address = parse_url(settings.clickhouse_url)
        assert (address.host, address.port, address.username) == ("clickhouse", 8123, "rumhouse")
        assert address.password == compose["services"]["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD"]
    assert Settings.from_env(compose["services"]["rumhouse"]["environment"]).workers == 4


def test_a_password_from_dot_env_reaches_both_sides(compose_text):
    compose = interpolate(
        yaml.safe_load(compose_text), {"CLICKHOUSE_PASSWORD": "s3cret", "RUMHOUSE_WORKERS": "8"}
    )
    url = compose["services"]["rumhouse"]["environment"]["RUMHOUSE_CLICKHOUSE_URL"]
    assert (
        parse_url(url).password
        == compose["services"]["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD"]
        == "s3cret"
    )
    assert Settings.from_env(compose["services"]["rumhouse"]["environment"]).workers == 8


def test_every_variable_a_user_sets_is_documented(compose_text):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    header = compose_text.split("\nname:")[0]
    for variable in {m.group(1) for m in _VARIABLE.finditer(compose_text)}:
        assert variable in header, variable
        assert f"`{variable}`" in readme, variable


def test_the_image_installs_rumhouse_and_checks_its_health():
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    [base] = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), base
    assert "COPY clickhouse ./clickhouse" in dockerfile and "COPY src ./src" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.MULTILINE)
    assert re.search(r'^CMD \["rumhouse", "serve"', dockerfile, re.MULTILINE)
    assert re.search(r"^USER \w+", dockerfile, re.MULTILINE)
