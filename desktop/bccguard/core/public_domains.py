"""Mail domains whose users are strangers to each other, so they can never be trusted."""

from __future__ import annotations

# Webmail and ISP domains: two addresses here say nothing about knowing each other.
PUBLIC_MAIL_DOMAINS: frozenset[str] = frozenset(
    """
    gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk hotmail.it hotmail.fr
    hotmail.de hotmail.es live.com live.it live.co.uk live.fr msn.com passport.com
    yahoo.com yahoo.co.uk yahoo.it yahoo.fr yahoo.de yahoo.es yahoo.co.jp yahoo.com.br
    ymail.com rocketmail.com aol.com aim.com icloud.com me.com mac.com
    protonmail.com protonmail.ch proton.me pm.me tutanota.com tutanota.de tuta.io
    gmx.com gmx.net gmx.de gmx.at gmx.ch gmx.fr web.de t-online.de freenet.de
    mail.com email.com zoho.com zohomail.com yandex.com yandex.ru mail.ru inbox.ru
    list.ru bk.ru rambler.ru qq.com 163.com 126.com sina.com naver.com daum.net
    libero.it virgilio.it tiscali.it alice.it tim.it tin.it email.it inwind.it iol.it
    fastwebnet.it aruba.it pec.it legalmail.it
    orange.fr wanadoo.fr free.fr laposte.net sfr.fr neuf.fr bbox.fr
    btinternet.com sky.com virginmedia.com talktalk.net ntlworld.com blueyonder.co.uk
    comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net charter.net
    earthlink.net optonline.net juno.com netzero.net
    shaw.ca rogers.com sympatico.ca telus.net bigpond.com bigpond.net.au optusnet.com.au
    seznam.cz wp.pl o2.pl onet.pl interia.pl telenet.be skynet.be hetnet.nl ziggo.nl
    kpnmail.nl home.nl planet.nl xs4all.nl bluewin.ch hispeed.ch sapo.pt terra.com.br
    uol.com.br bol.com.br fastmail.com fastmail.fm hey.com hushmail.com mailbox.org
    posteo.de posteo.net disroot.org riseup.net gmx.us outlook.it outlook.fr outlook.de
    """.split()
)


def is_public_mail_domain(domain: str) -> bool:
    """True for a public mail domain or a subdomain of one."""
    domain = domain.lower().rstrip(".")
    while domain:
        if domain in PUBLIC_MAIL_DOMAINS:
            return True
        _, _, domain = domain.partition(".")
    return False
