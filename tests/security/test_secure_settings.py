"""Secure defaults: check --deploy clean in production, CSP without inline script, cookies,
HSTS, CSRF on every form, API rate limits."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from referrals.models import Referral

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = sorted((BASE_DIR / "templates").rglob("*.html"))


def production_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SAMVIRKE_"))}
    env.update({
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "samvirke.kommune.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SAMVIRKE_ID_HASH_KEY": secrets.token_urlsafe(48),
        "SAMVIRKE_ID_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    })
    return env


def test_it_passes_check_deploy_without_a_warning_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=production_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_it_sets_secure_cookies_and_hsts_in_production(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, "
            "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, "
            "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
            "s.DEBUG, s.CACHES['default']['BACKEND'])")
    env = production_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "True", "True", "Lax", "Lax", "31536000", "True", "True", "False",
        "django.core.cache.backends.redis.RedisCache"]


def test_it_sends_a_content_security_policy_without_inline_script(db, client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    return [pattern.pattern for pattern in (INLINE_SCRIPT, INLINE_STYLE, EVENT_HANDLER, JAVASCRIPT_URL)
            if pattern.search(html)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(BASE_DIR / "templates")))
def test_it_has_no_inline_script_or_style_in_a_template(template):
    assert inline_code(template.read_text()) == []


def test_it_serves_the_api_docs_page_without_inline_script(db, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    assert "/static/js/api-docs.js" in html and 'data-schema-url="/api/schema/"' in html
    assert "Content-Security-Policy" in response.headers


def test_it_has_no_inline_script_on_the_pages_people_use(world, client):
    client.force_login(world.coordinator)
    for url in ("/", "/referrals/queue/", "/referrals/new/", "/inbox/", "/referrals/handovers/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(BASE_DIR / "templates")))
def test_it_puts_a_csrf_token_in_every_post_form(template):
    for form in FORM.findall(template.read_text()):
        if re.search(r"method=[\"']?post", form, re.IGNORECASE):
            assert "{% csrf_token %}" in form, form[:200]


def test_it_refuses_a_post_without_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    response = client.post("/referrals/new/", {"concern": "x", "action": "save"})
    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_it_sets_httponly_samesite_session_and_language_cookies(world, client):
    world.reporter.set_password("Samvirke-test-2026")
    world.reporter.save()
    response = client.post("/accounts/login/", {"username": "reporter", "password": "Samvirke-test-2026"})
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    language = client.post("/i18n/setlang/", {"language": "en", "next": "/"}).cookies[settings.LANGUAGE_COOKIE_NAME]
    assert language["httponly"] and language["samesite"] == "Lax"


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "3/minute",
                                                               "token": "2/minute"})


def test_it_limits_the_api_rate_per_user(world, api, low_rates):
    statuses = [api(world.coordinator).get("/api/v1/notifications/unread-count/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api(world.coordinator).get("/api/v1/notifications/unread-count/")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["detail"]
    # another person has a count of their own
    assert api(world.caseworker).get("/api/v1/notifications/unread-count/").status_code == 200


def test_it_limits_token_requests_per_client(world, api, low_rates):
    world.reporter.set_password("Samvirke-test-2026")
    world.reporter.save()
    anonymous = api(None)
    wrong = [anonymous.post("/api/v1/auth/token/", {"username": "reporter", "password": "wrong"}).status_code
             for _ in range(2)]
    assert wrong == [400, 400]
    blocked = anonymous.post("/api/v1/auth/token/", {"username": "reporter", "password": "Samvirke-test-2026"})
    assert blocked.status_code == 429
    assert "token" not in blocked.json()
