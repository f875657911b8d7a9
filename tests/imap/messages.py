"""A realistic seeded mailbox: what arrives in INBOX and what the owner sent.

``mailbox(own)`` gives the messages per folder for an account whose address is *own*; the
alias ann.alias@example.org appears only as a From in the Sent folder. ``EXPECTED`` is what
harvesting them must give: address → (name, messages, last contact date).
"""

from __future__ import annotations

from tests.support.dovecot import SENT_FOLDER

ALIAS = "ann.alias@example.org"


def message(headers: str, body: str = "Hello,\r\n\r\nsee you soon.\r\n") -> bytes:
    """RFC 5322 bytes from header lines written one per line (LF, turned into CRLF)."""
    text = "\r\n".join(headers.strip("\n").split("\n")) + "\r\n\r\n" + body
    return text.encode("utf-8")


def inbox(own: str) -> list[bytes]:
    return [
        # RFC 2047 UTF-8 (base64) name, a Cc with a plain name.
        message(f"""\
From: =?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?= <zoe@example.com>
To: Ann Example <{own}>
Cc: "Bob Stone" <bob@example.net>
Subject: Lunch on Friday?
Date: Mon, 04 Mar 2024 09:15:00 +0100
Message-ID: <lunch-1@example.com>"""),
        # RFC 2047 ISO-8859-1 (quoted-printable) name.
        message(f"""\
From: =?ISO-8859-1?Q?Fran=E7ois_L=E9vesque?= <Francois@Example.FR>
To: {own}
Subject: =?ISO-8859-1?Q?R=E9union?=
Date: Tue, 05 Mar 2024 14:00:00 +0000
Message-ID: <reunion@example.fr>"""),
        # An internationalised domain in its ASCII (xn--) form, and a Reply-To.
        message(f"""\
From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <juergen@xn--bcher-kva.example>
Reply-To: "Jürgen Weiß" <juergen.weiss@example.de>
To: {own}
Subject: Buchempfehlung
Date: Wed, 06 Mar 2024 18:30:00 +0100
Message-ID: <buch@xn--bcher-kva.example>"""),
        # Mailing-list traffic: carol only ever writes through the list.
        message(f"""\
From: Carol List <carol@example.org>
To: dev@lists.example.org
Cc: {own}
Subject: [dev] Release 2.0
List-Id: Developers <dev.lists.example.org>
List-Unsubscribe: <mailto:dev-unsubscribe@lists.example.org>
Precedence: list
Date: Thu, 07 Mar 2024 08:00:00 +0000
Message-ID: <release@lists.example.org>"""),
        # A newsletter: bulk, with an unsubscribe link.
        message(f"""\
From: Shop News <news@shop.example>
To: {own}
Subject: Spring sale
Precedence: bulk
List-Unsubscribe: <https://shop.example/unsubscribe?u=123>
Date: Thu, 07 Mar 2024 10:00:00 +0000
Message-ID: <sale@shop.example>"""),
        # No-reply and automated senders, each with a real person in Cc or To.
        message(f"""\
From: GitHub <noreply@github.com>
To: {own}
Cc: Mallory Watcher <mallory@example.com>
Subject: [repo] New issue
Date: Fri, 08 Mar 2024 11:00:00 +0000
Message-ID: <issue@github.com>"""),
        message(f"""\
From: Service <notifications@service.example>
To: {own}
Subject: Your weekly summary
Date: Fri, 08 Mar 2024 12:00:00 +0000
Message-ID: <summary@service.example>"""),
        message(f"""\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
To: {own}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Date: Fri, 08 Mar 2024 13:00:00 +0000
Message-ID: <bounce@mx.example.org>"""),
        message(f"""\
From: "Do Not Reply" <do-not-reply@bank.example>
To: {own}
Subject: Statement available
Date: Fri, 08 Mar 2024 14:00:00 +0000
Message-ID: <statement@bank.example>"""),
        # bob again, without a name: the name seen elsewhere wins; To includes the alias.
        message(f"""\
From: bob@example.net
To: {own}, {ALIAS}
Subject: Re: Lunch on Friday?
Date: Sat, 09 Mar 2024 10:00:00 +0000
Message-ID: <lunch-2@example.net>"""),
        # A name that is only the address: no real name.
        message(f"""\
From: "dave@example.com" <dave@example.com>
To: {own}
Subject: Photos
Date: Sat, 09 Mar 2024 11:00:00 +0000
Message-ID: <photos@example.com>"""),
        # Undisclosed recipients, an address in mixed case, a folded header.
        message("""\
From: Eve Adams
 <Eve.Adams@Example.COM>
To: undisclosed-recipients:;
Subject: Party!
Date: Sun, 10 Mar 2024 20:00:00 +0000
Message-ID: <party@example.com>"""),
        # zoe once more under a shorter name: the more frequent name still wins.
        message(f"""\
From: Zoe A <zoe@example.com>
To: {own}
Subject: Re: Lunch
Date: Mon, 11 Mar 2024 09:00:00 +0000
Message-ID: <lunch-3@example.com>"""),
        message(f"""\
From: =?utf-8?b?Wm/DqyDDhW5nc3Ryw7Zt?= <zoe@example.com>
To: {own}
Subject: Re: Re: Lunch
Date: Tue, 12 Mar 2024 09:00:00 +0000
Message-ID: <lunch-4@example.com>"""),
    ]


def sent(own: str) -> list[bytes]:
    return [
        message(f"""\
From: Ann Example <{own}>
To: "Bob Stone" <bob@example.net>, =?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?= <zoe@example.com>
Cc: =?UTF-8?Q?H=C3=A9l=C3=A8ne_Dupont?= <helene@example.fr>
Subject: Re: Lunch on Friday?
Date: Wed, 13 Mar 2024 08:30:00 +0100
Message-ID: <lunch-5@example.org>"""),
        message(f"""\
From: Ann Example <{ALIAS}>
To: Frank Miller <frank@example.com>
Bcc: {own}
Subject: Keys
Date: Thu, 14 Mar 2024 16:45:00 +0000
Message-ID: <keys@example.org>"""),
    ]


def mailbox(own: str) -> dict[str, list[bytes]]:
    return {"INBOX": inbox(own), SENT_FOLDER: sent(own)}


# address → (best name, messages, last contact date)
EXPECTED: dict[str, tuple[str, int, str]] = {
    "zoe@example.com": ("Zoë Ångström", 4, "2024-03-13"),
    "bob@example.net": ("Bob Stone", 3, "2024-03-13"),
    "francois@example.fr": ("François Lévesque", 1, "2024-03-05"),
    "juergen@bücher.example": ("Jürgen Weiß", 1, "2024-03-06"),
    "juergen.weiss@example.de": ("Jürgen Weiß", 1, "2024-03-06"),
    "dave@example.com": ("", 1, "2024-03-09"),
    "eve.adams@example.com": ("Eve Adams", 1, "2024-03-10"),
    "helene@example.fr": ("Hélène Dupont", 1, "2024-03-13"),
    "frank@example.com": ("Frank Miller", 1, "2024-03-14"),
}
INBOX_COUNT = 14
SENT_COUNT = 2
