"""Radicale's application with two hooks: bounded REPORT answers, and writes kept only
when the answer says the request succeeded.

Bounded answers: the storage stops reading when a REPORT's budget is spent
(contacthub_radicale/budget.py). Radicale has no way to say an answer is
partial, so it is added where Radicale turns the answer into bytes: a 507
response for the request-URI with DAV:number-of-matches-within-limits (RFC
6352 8.6.2, RFC 6578 3.6). A multiget over the budget, which cannot be
answered in part, is refused with 403 and the same condition, as Apple's
CalendarServer refuses one with too many hrefs.

Writes: Radicale commits what it wrote when it releases its lock, which it
also does when it answers an error; the methods that write run in a
Settlement (contacthub_radicale/context.py), committed for a 2xx or 3xx answer
and rolled back otherwise.

Overriding these methods is the smallest hook Radicale offers: its storage
interface has no say in the multistatus or in the status of an answer.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from http import client
from typing import Any

from radicale import Application, types, xmlutils

from contacthub_radicale import context
from contacthub_radicale.budget import AnswerTooLarge

logger = logging.getLogger(__name__)

MULTISTATUS = xmlutils.make_clark("D:multistatus")
WITHIN_LIMITS = "D:number-of-matches-within-limits"
MESSAGE = "{urn:contacthub}message"  # a sentence for people beside the condition

Method = Callable[..., types.WSGIResponse]


class ContacthubApplication(Application):
    def do_REPORT(
        self,
        environ: types.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        user_groups: set[str],
        request_info: dict[str, Any],
    ) -> types.WSGIResponse:
        budget = context.answer_budget()
        if budget is not None:
            budget.request_href = xmlutils.make_href(base_prefix, path)
        try:
            return super().do_REPORT(environ, base_prefix, path, user, user_groups, request_info)
        except AnswerTooLarge as refused:
            logger.info("refused REPORT %r: 403 (%s)", path, refused)
            error = xmlutils.webdav_error(WITHIN_LIMITS)
            ET.SubElement(error, MESSAGE).text = str(refused)
            headers = {"Content-Type": f"text/xml; charset={self._encoding}"}
            return client.FORBIDDEN, headers, self._xml_response(error, request_info), None

    def _xml_response(self, xml_content: ET.Element, request_info: dict[str, Any]) -> bytes:
        budget = context.answer_budget()
        if budget is not None and budget.truncated and xml_content.tag == MULTISTATUS:
            xml_content.append(_cut_short(budget.request_href))
        return super()._xml_response(xml_content, request_info)

    def do_PUT(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_PUT, *args)

    def do_DELETE(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_DELETE, *args)

    def do_MKCOL(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_MKCOL, *args)

    def do_MKCALENDAR(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_MKCALENDAR, *args)

    def do_PROPPATCH(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_PROPPATCH, *args)

    def do_MOVE(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_MOVE, *args)


def _settled(method: Method, *args: Any) -> types.WSGIResponse:
    with context.settling() as settlement:
        answer = method(*args)
        settlement.settle(commit=answer[0] < 400)
        return answer


def _cut_short(href: str) -> ET.Element:
    response = ET.Element(xmlutils.make_clark("D:response"))
    ET.SubElement(response, xmlutils.make_clark("D:href")).text = href
    status = ET.SubElement(response, xmlutils.make_clark("D:status"))
    status.text = xmlutils.make_response(client.INSUFFICIENT_STORAGE)
    response.append(xmlutils.webdav_error(WITHIN_LIMITS))
    return response
