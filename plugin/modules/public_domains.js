/**
 * Mail domains whose users are strangers to each other, so they can never be trusted.
 *
 * The same list as the desktop app's `bccguard.core.public_domains`; a test compares
 * the two, so change both together.
 * @module public_domains
 */

// BEGIN PUBLIC_MAIL_DOMAINS
export const PUBLIC_MAIL_DOMAINS = new Set([
  "126.com", "163.com", "aim.com", "alice.it", "aol.com", "aruba.it", "att.net",
  "bbox.fr", "bellsouth.net", "bigpond.com", "bigpond.net.au", "bk.ru", "bluewin.ch",
  "blueyonder.co.uk", "bol.com.br", "btinternet.com", "charter.net", "comcast.net",
  "cox.net", "daum.net", "disroot.org", "earthlink.net", "email.com", "email.it",
  "fastmail.com", "fastmail.fm", "fastwebnet.it", "free.fr", "freenet.de", "gmail.com",
  "gmx.at", "gmx.ch", "gmx.com", "gmx.de", "gmx.fr", "gmx.net", "gmx.us",
  "googlemail.com", "hetnet.nl", "hey.com", "hispeed.ch", "home.nl", "hotmail.co.uk",
  "hotmail.com", "hotmail.de", "hotmail.es", "hotmail.fr", "hotmail.it", "hushmail.com",
  "icloud.com", "inbox.ru", "interia.pl", "inwind.it", "iol.it", "juno.com",
  "kpnmail.nl", "laposte.net", "legalmail.it", "libero.it", "list.ru", "live.co.uk",
  "live.com", "live.fr", "live.it", "mac.com", "mail.com", "mail.ru", "mailbox.org",
  "me.com", "msn.com", "naver.com", "netzero.net", "neuf.fr", "ntlworld.com", "o2.pl",
  "onet.pl", "optonline.net", "optusnet.com.au", "orange.fr", "outlook.com",
  "outlook.de", "outlook.fr", "outlook.it", "passport.com", "pec.it", "planet.nl",
  "pm.me", "posteo.de", "posteo.net", "proton.me", "protonmail.ch", "protonmail.com",
  "qq.com", "rambler.ru", "riseup.net", "rocketmail.com", "rogers.com", "sapo.pt",
  "sbcglobal.net", "seznam.cz", "sfr.fr", "shaw.ca", "sina.com", "sky.com", "skynet.be",
  "sympatico.ca", "t-online.de", "talktalk.net", "telenet.be", "telus.net",
  "terra.com.br", "tim.it", "tin.it", "tiscali.it", "tuta.io", "tutanota.com",
  "tutanota.de", "uol.com.br", "verizon.net", "virgilio.it", "virginmedia.com",
  "wanadoo.fr", "web.de", "wp.pl", "xs4all.nl", "yahoo.co.jp", "yahoo.co.uk",
  "yahoo.com", "yahoo.com.br", "yahoo.de", "yahoo.es", "yahoo.fr", "yahoo.it",
  "yandex.com", "yandex.ru", "ymail.com", "ziggo.nl", "zoho.com", "zohomail.com",
]);
// END PUBLIC_MAIL_DOMAINS

/**
 * True for a public mail domain or a subdomain of one.
 * @param {string} domain
 * @returns {boolean}
 */
export function isPublicMailDomain(domain) {
  let rest = domain.toLowerCase().replace(/\.+$/u, "");
  while (rest) {
    if (PUBLIC_MAIL_DOMAINS.has(rest)) {
      return true;
    }
    const dot = rest.indexOf(".");
    rest = dot < 0 ? "" : rest.slice(dot + 1);
  }
  return false;
}
