"""Signing in the way a person does: through the login form, with the CSRF token the page carries."""

from __future__ import annotations

import base64
import re

from tests.conftest import PASSWORD, ROOT, Accounts

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    """POST the login form as a browser would: with the page's CSRF token when the app asks for one."""
    path = "/login" if next_path is None else f"/login?next={next_path}"
    page = client.get(path).get_data(as_text=True)
    data = {"email": email, "password": password}
    match = CSRF_FIELD.search(page)
    if match:
        data["csrf_token"] = match.group(1)
    return client.post(path, data=data)


def signed_in_client(app, accounts: Accounts, role: str):
    """A test client of ``app`` signed in to the dashboard as ``role`` through the real login form (no API key
    header), for apps a test builds itself, e.g. with CSRF protection on. ``accounts`` may belong to another
    app on the same database (the ``accounts`` fixture)."""
    accounts.ensure(role)
    client = app.test_client()
    response = sign_in(client, accounts.email(role))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def sign_in_browser(page, base_url: str, accounts: Accounts, role: str) -> None:
    """Sign in as the ``role`` user (created on first use) through the real login page."""
    accounts.ensure(role)
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(accounts.email(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/jobs")


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def watch(page) -> tuple[list[str], list[str]]:
    """Collect the page's console errors (CSP violations are among them), page errors and full page loads."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    return problems, loads


def screenshot(page, name: str) -> None:
    """A full-page screenshot kept as a test artefact (test-artifacts/ is ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wider_than_the_screen(page) -> list[str]:
    """The elements that stick out past the viewport's right edge (the page would scroll sideways); [] when
    everything fits. Elements inside a scrolling box (a wide table in .table-scroll) do not count."""
    return page.evaluate(
        r"""() => {
            if (document.documentElement.scrollWidth <= window.innerWidth + 1) return [];
            const out = [];
            for (const el of document.querySelectorAll("body *")) {
                const box = el.getBoundingClientRect();
                if (box.right > window.innerWidth + 1 && el.offsetParent !== null) {
                    out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
                        ? "." + el.className.trim().split(/\s+/).join(".") : "") + " " + Math.round(box.right));
                }
            }
            return out.slice(0, 10);
        }"""
    )


def fits_the_width(page) -> bool:
    """Nothing wider than the viewport: no sideways scrolling of the whole page."""
    return not wider_than_the_screen(page)


def drop_files(page, selector: str, files: list[tuple[str, bytes, str]]) -> None:
    """Drop files on an element the way a person dragging them from the desktop does: a drop event whose
    DataTransfer holds File objects."""
    payload = [[name, base64.b64encode(content).decode(), mime] for name, content, mime in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, b64, type] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, {type}));
            }
            return transfer;
        }""",
        payload,
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})
