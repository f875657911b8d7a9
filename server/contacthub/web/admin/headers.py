"""Security headers of every admin page answer: no framing (clickjacking), no script or
style but the page's own files, no guessing of content types, no addresses sent away.

The pages have no inline script, style or event handler (admin.js and wizard.js add
what they do from their own files), so the policy needs neither 'unsafe-inline' nor
nonces; a page that needed one would break in the browser tests, which fail on any
violation Chromium reports.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",  # the progress bar polls its run
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # For browsers older than frame-ancestors.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response
