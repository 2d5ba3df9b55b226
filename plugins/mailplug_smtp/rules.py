"""SMTP server replies → error keys: the reply table and the classifier.

:func:`classify` turns a reply (code, enhanced status code, text) and the SMTP
step that got it into one :class:`~mailplug.plugin.ErrorSpec` (the keys are in
:mod:`mailplug_smtp.replies`).  The table is an ordered list of
:class:`~mailplug_smtp.table.Rule` rows in tiers; the first row that matches and
has a key for the reply's class (4xx temporary, 5xx permanent) wins:

1. *overrides* — texts that mean one thing whatever code the server chose
   (daily sending limit, too many login attempts, relaying denied, sender not
   owned by the login …): real servers attach these to the most varied codes;
   a "rate limit" that states its cause (SPF/DKIM, no TLS, unsolicited mail) is
   about that cause; sizes, quotas and "authentication required" come before
   Exchange's resolver codes and relaying;
1b. *evidence* — phrases that name one cause (a named blocklist, a bare
   "Address rejected", "refused to talk to me", a stated unavailable service,
   a failed connection, a sender's null MX, replies in other languages) outrank
   the generic codes they come with (5.0.0, 5.1.1, 5.7.1, 550, 553, 554);
2. *enhanced* — enhanced status codes with one meaning (RFC 3463, 4954, 5248,
   7504, 7372, 7505), refined by stage or text where servers reuse them;
3. *reply code* — reply codes with one meaning (RFC 5321, 4954, 7504);
4. *text* — well-known texts for the rest (user unknown, mailbox full, spam,
   blocklists, SPF/DKIM/DMARC, too big …), in English and Polish;
5. *protocol* — protocol reply codes (421, 455, 500–504, 553, 555) and the
   greeting refusal (554 at connect);
6. *enhanced class* — any other refusal of AUTH is a refused login; then the
   subject of an enhanced code (x.1 address, x.2 mailbox, x.3/x.4 system,
   x.6 content, x.7 security/policy);
7. *generic text* — "mailbox unavailable", "rejected", "try again later" …;
8. *default* — an x.7.0 code, else the reply code alone (450, 451, 452, 550,
   552, 554) by stage;
9. *class* — any other 4xx or 5xx.

Text patterns are matched case-insensitively on the reply text with its
codes removed.

Provider-specific knowledge (Gmail, Microsoft 365, Yahoo) lives in
:mod:`mailplug_smtp.providers` and runs before this table through its own
:func:`~mailplug.hookspecs.mailplug_classify_reply` implementation.
"""

from __future__ import annotations

from mailplug.plugin import ErrorSpec, ServerReply
from mailplug.plugin import keys as core_keys

from . import replies
from .table import AUTH_STAGES, Meaning, Rule, match, parse, pattern, rule, tier

__all__ = ["RULES", "classify"]

# --------------------------------------------------------------------------
# Text patterns
# --------------------------------------------------------------------------

P_WEB_LOGIN = pattern(
    "log in through a web browser first",
    r"log ?in (?:via|with|through|using) your (?:web )?browser|web login required",
)
P_MECHANISM = pattern(
    "login method not supported",
    r"(?:invalid|unsupported|unknown|unrecognized) (?:authentication |auth |sasl )?mechanism",
    r"mechanism (?:is )?(?:not supported|not available|unavailable|not allowed)",
    r"unrecognized authentication type",
)
P_DAILY = pattern(
    "daily sending limit",
    r"\b(?:daily|per day|a day|24[- ]?hours?|24h)\b[^.]{0,40}\b(?:limit|quota|maximum)",
    r"\b(?:limit|quota)\b[^.]{0,40}\b(?:daily|per day|24[- ]?hours?)\b",
    r"dzienn\w* limit|limit\w* (?:dzienn|dobow)|dobow\w* limit",
    r"(?:messages|mails|e-?mails|recipients) (?:per|a) day",
)
P_LOGIN_ATTEMPTS = pattern(
    "too many login attempts",
    r"too many (?:bad |failed |invalid |unsuccessful |wrong )?(?:login|logon|log-?in|auth\w*"
    r"|password|sign-?in)s?\b(?: (?:attempts|failures|tries|errors))?",
    r"(?:login|logon|auth\w*) (?:attempts|failures) (?:limit|exceeded)",
    r"too many (?:failed|unsuccessful|bad|invalid) attempts",
    r"zbyt wiele (?:prób|nieudanych)",
)
P_APP_PASSWORD = pattern(
    "application-specific password required",
    r"application[- ]specific password|app password (?:is )?required|use an app password",
)
P_CONNECTIONS = pattern(
    "too many connections",
    r"too many (?:[\w-]+ ){0,3}(?:connections|sessions)\b",
    r"(?:connection|session|concurren\w*) (?:limit|count)\b",
    r"(?:maximum|max\.?) (?:number of )?(?:concurrent )?(?:connections|sessions)",
    r"connection rate",
    r"zbyt wiele (?:połączeń|jednoczesnych)",
)
P_RECIPIENTS = pattern(
    "too many recipients",
    r"too many (?:recipients|rcpt)",
    r"recipients? per (?:message|transaction|mail)|batch limit|\brcpt numbers?\b",
    r"trop de destinataires|zu viele empfänger|demasiados destinatarios|troppi destinatari|"
    r"收件人数量?超|宛先[^。]{0,6}(?:多すぎ|上限)",
    r"\brecipient (?:limit|count)\b",
    r"per transaction exceeded|(?:in|use) a (?:separate|new|further) transaction",
    r"(?:maximum|max\.?|limit of) (?:number of )?recipients",
    r"zbyt wielu odbiorców|za dużo odbiorców|limit\w* odbiorców",
)
P_NOT_LOGGED_IN = pattern("not logged in", r"not logged in|niezalogowan\w*|nie zalogowan\w*")
P_FULL_MESSAGES = pattern(
    "too many messages in the mailbox",
    r"too many (?:messages|mails|e-?mails) (?:in|stored|on the server)",
    r"zu ?viele (?:mails|nachrichten|e-?mails) (?:im|auf dem)",
)
P_RATE = pattern(
    "rate limit",
    r"rate[- ]?limit|ratelimit|throttl",
    r"too many (?:messages|mails|e-?mails|requests|transactions)|too much (?:mail|e-?mail|traffic)",
    r"too (?:fast|quickly)|slow down|at a rate\b",
    r"\b(?:sending|send|submission|outbound|relay|hourly|recipient|message) (?:rate|quota)\b",
    r"\bsending limits?\b|\bsend limits?\b|per (?:hour|minute|second)\b|\bhourly\b",
    r"quota for sending",
    r"unusual (?:rate|amount|volume|traffic)|unexpected volume|user complaints",
    r"temporarily deferred|deferred due to",
    r"exceeded (?:the |your |its )?(?:permitted |allowed |maximum )?(?:sending |message )?"
    r"(?:rate|limits)\b",
    r"mail flood|flooding|polic\w* reject\w*[^.]{0,10}quota",
    r"zbyt wiele wiadomości|za dużo wiadomości|limit wysył\w*|limit wiadomości",
    r"\b(?:relay|peak|sending|message) (?:\w+ )?limit exceeded",
    r"höchstbeschränkung|zu viele (?:nachrichten|e-?mails)|中继量|发送频率|发信频率|"
    r"送信数[^。]{0,6}(?:上限|制限)|trop de (?:messages|mails)|demasiados mensajes",
)
P_GREYLIST = pattern(
    "greylisting",
    r"gr[ae]y-?list|gr[ae]y list",
    r"postgrey|sqlgrey",
)
P_SENDER_BLOCKED = pattern(
    "sending blocked for the account",
    r"bad outbound sender|outbound ?spam|banned sender|spam abuse",
    r"mail sending denied|sender account is disabled",
    r"sending (?:has been |is )?(?:temporarily )?(?:suspended|disabled|blocked|denied|restricted)",
    r"account (?:has been |is )?(?:temporarily )?(?:suspended|blocked|disabled|restricted|limited)"
    r" (?:from|for) sending",
    r"blocked from sending",
    r"wascl|showtierupgrade",
    r"wysyłanie[^.]{0,30}zablokowan",
)
P_NOT_OWNED = pattern(
    "sender not owned by the login",
    r"not owned by",
    r"send ?as ?(?:permission )?denied|sendasdenied|send as this sender|send on behalf",
    r"(?:permission|permissions|not allowed|not authori[sz]ed|not permitted) to send "
    r"(?:as|from|on behalf)",
    r"(?:sender|from) address (?:does not|doesn't|must) (?:match|belong)",
    r"(?:sender|from)[^.]{0,40}(?:does not|doesn't) (?:match|belong to) (?:the |your )?"
    r"(?:login|authenticated|account|user)",
    r"(?:login|authenticated user|auth(?:entication)? user)[^.]{0,30}(?:mismatch|does not match)",
    r"sender (?:login )?mismatch|relaying disallowed as",
    r"(?:e-?mail |sender |from )?address is not verified|(?:from|sender) (?:address )?not "
    r"verified|identities failed the check",
    r"nadawc\w*[^.]{0,30}nie należy",
)
P_SENDER = pattern(
    "sender address rejected",
    r"sender (?:address )?(?:is )?(?:rejected|refused|denied|blocked|invalid|unknown|"
    r"not (?:allowed|accepted|permitted|authori[sz]ed))",
    r"(?:bad|invalid|unknown|unverified|unauthori[sz]ed|illegal|forged) sender",
    r"sender verif\w*|sender address verification|callout verification",
    r"badmailfrom|envelope sender|mail from (?:address )?(?:rejected|refused|denied|not)",
    r"domain of sender address|sender domain (?:is )?(?:does not|doesn't|must|not)",
    r"nadawc\w* (?:odrzucon|zablokowan|nieprawidłow)",
)
P_SENDER_SYNTAX = pattern(
    "sender address syntax",
    r"(?:sender|mail from)[^.]{0,20}(?:syntax|malformed)|(?:syntax|malformed)[^.]{0,20}sender",
)
P_RELAY = pattern(
    "relaying denied",
    r"relay(?:ing)? (?:access )?(?:is )?(?:denied|not permitted|not allowed|prohibited|refused|"
    r"forbidden|disallowed|rejected|disabled)",
    r"(?:unable|not allowed|not permitted|not authori[sz]ed|cannot|can't|do not|don't|no) "
    r"(?:to )?relay\b",
    r"relay access|rcpthosts|tenantattribution|not an open relay|relay not (?:permitted|allowed)",
    r"\b(?:denies|deny|denied) relay(?:ing)?\b|local (?:users?|recipients?|domains?) only",
    r"przekazywani\w*[^.]{0,30}(?:zabronion|niedozwolon)",
)
P_RESTRICTED = pattern(
    "recipient accepts only authorised senders",
    r"resolver\.rst|sendernotauthenticated|notauthorized",
    r"(?:group|distribution list|mailing list)[^.]{0,60}(?:requires? authentication|only accepts?|"
    r"restricted|not authori[sz]ed|moderat)",
    r"(?:only|can only) (?:accepts?|receives?) (?:mail|messages|e-?mail)",
    r"not authori[sz]ed to (?:send|e-?mail|mail|post) (?:to|messages to)",
    r"recipient (?:is )?restricted|restricted recipient",
    r"not authenticated for (?:the |this )?(?:group|mailbox|distribution list|recipient)",
)
P_EXCHANGE_NOT_FOUND = pattern(
    "recipient not found (Exchange)",
    r"recip(?:ient)?notfound|recipient not found",
)
P_EOP_DENIED = pattern(
    "recipient address rejected: access denied",
    r"recipient address rejected|access denied",
)
P_POLICY_REASONS = pattern("policy reasons", r"polic(?:y|ies)")
P_TLS_UNAVAILABLE = pattern(
    "TLS not available",
    r"\btls (?:is )?(?:not available|unavailable|temporarily)",
    r"starttls (?:is )?(?:not available|unavailable|disabled|not supported|not implemented)",
    r"cannot start tls|tls (?:handshake|negotiation) failed",
)
P_TLS_REQUIRED = pattern(
    "encryption required (STARTTLS)",
    r"starttls",
    r"\b(?:tls|ssl)\b[^.]{0,20}(?:required|first|needed|mandatory)",
    r"(?:requires?|must use|please use|enable)[^.]{0,20}(?:\btls\b|\bssl\b|encryption|encrypted|"
    r"secure connection)",
    r"encryption (?:is )?(?:required|needed|mandatory)",
    r"(?:secure|encrypted) (?:connection|channel) (?:is )?(?:required|needed)",
    r"plaintext (?:auth\w* )?(?:is )?(?:not allowed|disallowed|forbidden|prohibited)",
    r"wymaga\w* szyfrowan",
)
P_SENDER_AUTH = pattern(
    "SPF, DKIM or DMARC failed",
    r"\bspf\b|sender policy framework|dkim|domainkeys|dmarc|\barc\b (?:validation|fail)",
    r"this (?:mail|message|email) is unauthenticated|unauthenticated (?:email|mail|message)",
    r"authentication (?:checks|information|results)|fails? to pass (?:sender )?authentication",
    r"anti-?spoof|spoof(?:ed|ing)",
)
P_AUTH_REQUIRED = pattern(
    "authentication required",
    r"(?:authentication|\bauth\b|login|log-?in|logon|smtp auth\w*) (?:is )?(?:required|needed|"
    r"first)",
    r"must (?:authenticate|be authenticated|log ?in|login|use (?:smtp )?auth)",
    r"not (?:been )?authenticated|authenticate first|requires? (?:smtp )?(?:authentication|"
    r"auth\b|login)",
    r"please (?:authenticate|log ?in)|unauthenticated (?:sender|senders|relay|client|user|"
    r"submission|access)",
    r"wymagane (?:jest )?(?:logowanie|uwierzytelnienie)|wymaga (?:zalogowania|uwierzytelnienia)",
)
P_AUTH_FAILED = pattern(
    "authentication failed",
    r"authentication (?:failed|failure|unsuccessful|rejected|error|cancell?ed|aborted)|"
    r"auth\w* failed|\bauth error",
    r"invalid (?:credentials|login|username|user ?name|password|user or password)",
    r"(?:username|user name|login|password|credentials)(?: and password| or password)? "
    r"(?:is |are |was )?(?:incorrect|invalid|wrong|not accepted|rejected|mismatch)",
    r"bad (?:username|user name|password|credentials|login)",
    r"incorrect (?:username|user name|password|login|authentication|credentials)",
    r"wrong (?:password|login|username)|login (?:failed|incorrect|denied)|logon failure",
    r"(?:niepoprawn|nieprawidłow|błędn)\w* (?:hasło|login|dane logowania)",
)
P_ACCOUNT_DISABLED = pattern(
    "account disabled or locked",
    r"(?:account|user|mailbox|login|inbox)[^.]{0,40}\b(?:disabled|locked|suspended|deactivated|"
    r"inactive|expired|frozen|closed|blocked)\b",
    r"(?:disabled|locked|suspended|deactivated|inactive|closed) (?:account|user|mailbox)",
    r"no longer (?:active|in use|available|valid|accepting)",
    r"(?:konto|skrzynk)\w*[^.]{0,30}(?:zablokowan|wyłączon|nieaktywn)",
)
P_HELO_DENIED = pattern(
    "HELO name on a deny list",
    r"\b(?:helo|ehlo)\b command rejected: (?:match|access denied|blocked)",
    r"\b(?:helo|ehlo)\b[^.]{0,30}(?:black ?list\w*|block ?list\w*|banned)",
)
P_HELO = pattern(
    "HELO/EHLO name rejected",
    r"\bhelo ?host\w*[^.]{0,10}(?:error|invalid|fail\w*)",
    r"\b(?:helo|ehlo)\b[^.]{0,30}(?:rejected|invalid|not allowed|refused|denied)",
    r"(?:invalid|bad|illegal|bogus|forged) (?:helo|ehlo)",
    r"(?:need|requires?) (?:a )?fully[- ]qualified (?:host ?name|domain name)",
    r"hostname (?:is )?not (?:fully qualified|valid)",
)
P_INVALID_CONTENT = pattern(
    "message format not accepted",
    r"bare (?:lf|linefeed|<lf>|cr)|line (?:length )?(?:too long|exceeds)",
    r"invalid (?:message )?(?:content|header|format|mime)|malformed (?:message|header|mime)",
    r"headers?[^.]{0,30}(?:invalid|malformed|missing|too long|duplicate)",
    r"8-?bit (?:data|content|mime)|rfc ?5322|rfc ?2822|missing (?:required )?header",
    r"(?:does not|doesn't|not|fails? to) conform\w*|non-?conform\w*|not (?:rfc[- ]?)?compliant",
    r"(?:subject|header|from|to)[^.]{0,20}(?:invalid|illegal|forbidden) characters?",
)
P_VIRUS = pattern(
    "virus or forbidden attachment",
    r"virus|malware|infected|trojan|\bworm\b|ransomware|malicious",
    r"(?:banned|blocked|prohibited|forbidden|unsafe|dangerous) (?:file|attachment|extension|"
    r"content)",
    r"attachment[^.]{0,40}(?:not allowed|not permitted|prohibited|forbidden|blocked|rejected|"
    r"denied)",
    r"executable|\.exe\b|file type|file extension|potential security issue",
    r"wirus|zainfekowan|złośliw",
)
P_UTF8 = pattern(
    "international (SMTPUTF8) address not supported",
    r"smtputf8|utf-?8 (?:address|addresses|mailbox|local)",
    r"non-?ascii (?:address|characters? in (?:the )?(?:address|local)|local)",
    r"internationali[sz]ed (?:address|e-?mail)",
)
P_FULL = pattern(
    "mailbox full / over quota",
    r"(?:mailbox|mail box|inbox|mail ?folder|account|user|recipient)[^.]{0,40}\bfull\b",
    r"\bfull (?:mailbox|inbox)",
    r"over ?quota|quota (?:exceeded|exceed|full|reached|violation)",
    r"exceed\w* (?:the |his |her |their |its |your )?(?:storage |disk |mailbox |mail )?"
    r"(?:quota|storage allocation|storage limit)",
    r"mailbox size limit|mailbox (?:is )?(?:over|too large)",
    r"(?:not enough|insufficient) (?:space|storage) (?:in|for) (?:the )?(?:mailbox|user|recipient)",
    r"(?:mailbox|inbox|mail box)[^.]{0,20}out of (?:storage )?space",
    r"(?:收件箱|邮箱|信箱)[^。]{0,10}(?:空间不足|已满)",
    r"quotaexceeded|\bquota\b",
    r"skrzynk\w*[^.]{0,30}(?:pełna|przepełnion)|przepełnion\w*|brak miejsca w skrzynce",
)
P_SERVER_STORAGE = pattern(
    "no space on the server",
    r"insufficient (?:system )?(?:storage|disk|space|resources)|disk (?:is )?full|no space",
    r"out of (?:disk )?(?:space|storage)|not enough (?:disk |system )?(?:space|storage)",
    r"disk space|system storage|brak miejsca",
)
P_TOO_BIG = pattern(
    "message too big",
    r"too (?:large|big)\b",
    r"size (?:limit|exceed)|exceeds?[^.]{0,40}\b(?:size|limit|maximum|max)\b",
    r"message (?:size|length)|maximum (?:message |allowed )?size|databytes|larger than",
    r"message file too big|size of (?:the )?message|message (?:is )?too long",
    r"za duż\w*|zbyt duż\w*|rozmiar",
)
P_BAD_ADDRESS = pattern(
    "address syntax",
    r"address syntax|(?:rcpt|recipient)(?: to)? syntax",
    r"syntax (?:error )?in (?:the )?(?:e-?mail )?(?:address|recipient|sender|mailbox)",
    r"malformed (?:address|recipient|sender|e-?mail|local)|missing or malformed",
    r"fully[- ]qualified (?:address|e-?mail)",
    r"not (?:a |an )?(?:valid|proper|rfc[- ]?\d*[- ]?compliant) (?:e-?mail )?address",
    r"invalid (?:e-?mail )?address (?:format|syntax)|illegal (?:address|character)|"
    r"address format|domain (?:part )?(?:is )?missing|must (?:be specified with|contain) a domain",
    r"\bdomain (?:name |address )?(?:is )?required",
    r"address (?:is )?(?:marked (?:as )?)?(?:invalid|not valid)\b",
    r"(?:nieprawidłow|niepoprawn)\w* (?:format|składni)",
)
P_NOT_LOCAL = pattern(
    "user not local",
    r"user not local|not a local (?:user|recipient|address)|please try <",
)
P_DOMAIN_NO_MAIL = pattern(
    "domain does not accept mail (null MX)",
    r"domain (?:does not|doesn't) accept (?:e-?)?mail|null ?mx|accepts no mail",
    r"domena[^.]{0,20}nie przyjmuje poczty",
)
P_SERVER_NO_MAIL = pattern(
    "server does not accept mail",
    r"(?:server|host|system) (?:does not|doesn't) accept (?:e-?)?mail",
)
P_UNKNOWN = pattern(
    "recipient unknown",
    r"\b(?:user|recipient|addressee|mailbox|address|account|alias|local[- ]part|rcpt)s? (?:is )?"
    r"(?:unknown|not found|not known|does ?n[o']t exist|not exist\w*|non-?existent|invalid|"
    r"not valid)",
    r"\b(?:unknown|invalid|non-?existent|nonexisting|bad) (?:user|recipient|addressee|mailbox|"
    r"local[- ]part|alias|e-?mail address|address|account|rcpt|destination mailbox)",
    r"no such (?:user|recipient|mailbox|account|address|person|addressee|alias|local user)",
    r"no mailbox|mailbox not found|unrout(?:e)?able|undeliverable address|address unknown",
    r"not a (?:valid|known) (?:user|recipient|mailbox|address)",
    r"(?:does ?n[o']t|does not) have an? [\w.-]+ account|tried to reach does not exist",
    r"not listed in",
    r"nie istnieje|nie ma takiego|nieznan\w* (?:użytkownik|odbiorc|adres|skrzynk)",
    r"(?:użytkownik|odbiorc|adres|skrzynk)\w* (?:jest )?nieznan",
    r"brak (?:takiego )?(?:użytkownika|odbiorcy|skrzynki)",
)
P_REPUTATION = pattern(
    "blocklist or poor reputation",
    r"bl[ao]ck ?-?list|bl[ao]cklisted|black ?listed|\bdnsbl\b|\brbl\b|blocked using",
    r"\blisted (?:at|on|by)\b|\b(?:is|are|been|currently) listed in\b",
    r"spamhaus|spamcop|sorbs|barracuda|uceprotect|abuseat|\bcbl\b|\bpbl\b|\bsbl\b|\bxbl\b",
    r"senderscore|sender score|cloudmark|proofpoint|ipcheck|mailspike|\bpsbl\b",
    r"reputation|\binvalid ip\b",
    r"dynamic(?:ally)?[- ](?:assigned[- ])?(?:ip|address|pool|range)|dial-?up|residential|"
    r"end-?user (?:ip|range)",
    r"reverse dns|\brdns\b|\bptr\b|reverse (?:lookup|mapping|hostname)|cannot find your "
    r"(?:hostname|reverse)|client host rejected|no reverse|ip name lookup failed",
    r"banned sending ip|not accepted from this ip|connections (?:will )?not (?:be )?accepted from",
    r"\byour ip\b|ip address[^.]{0,40}(?:blocked|rejected|listed|banned)",
    r"\b(?:host|ip|network|client)\b[^.]{0,30}(?:is )?(?:blocked|banned)",
    r"czarn\w* li(?:st|ś)",
)
P_BAD_DOMAIN = pattern(
    "recipient domain not found",
    r"\b(?:domain|host|hostname|mx)\b[^;]{0,40}?(?:not found|does ?n[o']t exist|not exist|unknown|"
    r"not resolv\w*|unresolvable|could not be (?:found|resolved))",
    r"(?:no such|unknown|invalid|non-?existent) (?:domain|host)\b|nxdomain|nonexistentdomain",
    r"\bno mx\b|mx lookup|unable to (?:find|resolve|route)|find the recipient domain",
    r"look ?up (?:the )?mail exchanger",
    r"invalid (?:dns )?mx",
    r"name service error|host or domain name not found|no valid domain",
    r"domen\w*[^.]{0,30}nie istnieje",
)
P_SPAM = pattern(
    "spam or suspicious content",
    r"spam|junk|unsolicited|\bbulk\b|\buce\b",
    r"content filter|rejected (?:by|due to) (?:the )?(?:filter|anti)|\bscor(?:e|ed|ing)\b",
    r"suspicious|phishing|fraud|\bscam\b|high probability",
    r"(?:unacceptable|inappropriate|prohibited|objectionable) content|content (?:is )?unacceptable",
    r"niechcian\w*",
)
P_MAILBOX_UNAVAILABLE = pattern(
    "mailbox unavailable or busy",
    r"mailbox (?:is )?(?:currently |temporarily )?(?:unavailable|not available|busy|locked|"
    r"in use|inaccessible)",
    r"mailbox unavailable",
    r"skrzynk\w*[^.]{0,20}(?:niedostępn|zajęt)",
)
P_MAILBOX_BUSY = pattern(
    "mailbox busy or locked", r"mailbox (?:is )?(?:temporarily |currently )?(?:busy|locked|in use)"
)
P_SERVICE = pattern(
    "service not available",
    r"service (?:is )?(?:currently |temporarily )?(?:not available|unavailable)",
    r"server (?:is )?(?:busy|overloaded|shutting down|going down|not available)",
    r"closing (?:transmission )?(?:channel|connection)|system (?:is )?(?:busy|overloaded)",
)
P_REFUSED = pattern(
    "rejected, denied, not allowed",
    r"reject|refus|\bden(?:y|ied)\b|prohibit|forbidden|blocked|not (?:allowed|permitted|"
    r"authori[sz]ed|accepted)|\bpolicy\b|administrative|restricted|unacceptable",
    r"odrzuc|zablokow|odmow|niedozwol",
)
P_TEMPORARY = pattern(
    "try again later, local error",
    r"try (?:again )?later|retry (?:later|again)|temporar\w*|local (?:error|problem)",
    r"internal (?:server )?error|system error|server error|processing error|error in processing",
    r"lookup fail\w*|database|timed? ?out|resources?",
    r"spróbuj (?:ponownie )?później|tymczasow\w*",
    r"plus tard|später|más tarde|più tardi|mais tarde|позже",
)
P_AUTH_CMD = pattern(
    "AUTH not enabled or not advertised",
    r"\bauth\w*\b[^.]{0,30}(?:not (?:enabled|advertised|available|supported|implemented|"
    r"allowed)|disabled|unrecognized|unknown)",
    r"not (?:enabled|advertised|available|supported|implemented)",
)

# -- strong evidence: phrases that name one cause whatever code carries them --------------

P_RATE_BECAUSE_AUTH = pattern(
    "limited because SPF, DKIM or DMARC failed",
    r"(?:rate[- ]?limited|deferred|blocked|rejected) because[^.]{0,60}(?:unauthenticated|\bspf\b|"
    r"\bdkim\b|dmarc|aligned|authenticat)",
)
P_NO_TLS_USED = pattern(
    "message not sent over TLS",
    r"(?:not|wasn't|was not) (?:using|sent over|sent using|delivered over) (?:a )?(?:tls|ssl|an "
    r"encrypted)",
    r"(?:does ?n[o']t|does not|did not|didn't) (?:support|offer|use) (?:start)?tls",
    r"\btls (?:is )?required for|requiretls|must be sen[dt] (?:with|over|using) (?:an )?encrypt",
    r"\btls\b[^.]{0,30}erforderlich|需要 ?tls|tls ?が必要|tls (?:est )?(?:requis|obligatoire)|"
    r"se requiere tls|tls (?:è )?(?:richiesto|obbligatorio)|требуется tls",
)
P_UNSOLICITED = pattern(
    "unsolicited mail or user complaints",
    r"unsolicited|user complaints|spam complaints",
)
P_NEVER_SUCCEED = pattern(
    "retrying will not succeed",
    r"retrying will not succeed|will not succeed|permanently (?:deferred|blocked|rejected)",
)
P_AUTH_TURN_ON = pattern(
    "turn on SMTP authentication",
    r"(?:turn on|enable|activate|use) (?:smtp[- ])?auth\w*",
    r"(?:proper |smtp )?(?:authentication|authori[sz]ation) (?:is )?required",
    r"without (?:smtp[- ])?(?:authentication|authori[sz]ation|auth\b|login)",
    r"(?:login|log in) to the (?:imap|pop3?)[^.]{0,20}before sending",
    r"anonymous (?:client|user|sender)[^.]{0,40}(?:not|no) (?:have )?permission",
)
P_BLOCKLIST = pattern(
    "named blocklist",
    r"bl[ao]ck ?-?list|bl[ao]cklisted|black ?listed|\bdnsbl\b|\b[a-z-]*rbl\b|blocked using",
    r"\blisted (?:at|on|by)\b|\b(?:is|are|been|currently) listed in\b",
    r"spamhaus|spamcop|sorbs|barracuda|uceprotect|abuseat|\bcbl\b|\bpbl\b|\bsbl\b|\bxbl\b|"
    r"\bpsbl\b|mailspike|open proxy",
    r"czarn\w* li(?:st|ś)|liste noire|schwarze liste|lista negra|lista nera",
    r"\bblack ?ip\b|黑名单|ブラックリスト",
)
P_FREQUENCY = pattern(
    "frequency or rate limited",
    r"frequency (?:limit\w*|exceeded|too high)|too frequent",
    r"(?:sent|send|sending) (?:too|to) many (?:mails|messages|e-?mails)",
    r"\bthread limit",
)
P_RECEIVE_RATE = pattern(
    "the recipient receives mail too fast",
    r"\b(?:receive|receiving) (?:limit|rate)|receiving (?:e-?)?mail (?:at a rate|too quickly)",
    r"recipient[^.]{0,40}(?:receiv\w*|incoming)[^.]{0,20}(?:limit|rate)",
    r"(?:erhält|empfängt)[^.]{0,20}(?:zu (?:schnell|rasch)|in einer geschwindigkeit)",
    r"(?:接收|收到)[^。]{0,12}(?:过于频繁|频率过高|速度过快)",
    r"受信[^。]{0,12}(?:頻度|速度|多すぎ)",
    r"reçoit[^.]{0,30}(?:trop (?:rapidement|vite)|à un rythme)|recibiendo[^.]{0,30}"
    r"(?:demasiado rápido|a un ritmo)",
)
P_SIZE_STRONG = pattern(
    "message, line or header too large",
    r"(?:message|mail|e-?mail|attachment|header|headers)s? (?:is |are )?(?:too (?:large|big|"
    r"long))",
    r"too (?:large|big) for (?:this|the) (?:recipient|organi[sz]ation|server|system)",
    r"headers? (?:size )?(?:too large|limit exceeded)|too many headers",
    r"(?:attachment|message) size (?:over|exceed)|sizelimit|size limit exceeded",
    r"exceeds? (?:the )?(?:maximum |max )?(?:message |allowed )?size",
    r"trop (?:volumineux|grand|gros)|zu gro(?:ß|ss)|demasiado grande|troppo grande|"
    r"muito grande|za duż\w*|zbyt duż\w*|слишком (?:большое|велико)",
)
P_LINE_TOO_LONG = pattern(
    "line too long",
    r"\bline (?:is )?too long|(?:line|header)[^.]{0,30}(?:length|limit)[^.]{0,20}(?:exceed|is \d|"
    r"too)|line length|line limit",
)
P_FULL_STRONG = pattern(
    "mailbox full / over quota (stated)",
    r"(?:mailbox|mail box|inbox|mail ?folder|account|user|recipient)[^.]{0,40}\b(?:is )?full\b",
    r"over ?quota|(?:mailbox|storage|disk|user|recipient)[^.]{0,20}quota (?:exceeded|exceed|full|"
    r"reached)|quotaexceeded",
    r"(?:would )?exceed\w* (?:the )?(?:maximum )?(?:mailbox|storage|disk) (?:size|quota|limit)",
    r"mailbox size limit|mailbox (?:is )?(?:over|too large)",
    r"(?:exhausted|used up|run out of)[^.]{0,30}(?:storage|space|quota)",
    r"speicher\w*[^.]{0,20}(?:voll|überschritten|ueberschritten|erschöpft)",
    r"boîte[^.]{0,30}pleine|boite[^.]{0,30}pleine|postfach[^.]{0,20}voll|speicherplatz|"
    r"buzón[^.]{0,20}lleno|casella[^.]{0,20}piena|caixa[^.]{0,20}cheia|"
    r"skrzynk\w*[^.]{0,30}(?:pełna|przepełnion)|переполнен",
)
P_BARE_ADDRESS_REJECTED = pattern(
    'bare "address rejected"',
    r"^(?:<[^>]*>\s*:?\s*)?(?:recipient )?address rejected\s*\.?$",
)
P_SPAM_STATED = pattern(
    "spam (stated)",
    r"\bspam\b|junk mail|\bunsolicited",
    r"unerwünschte\w* (?:e-?mails?|nachrichten|werbung)|courrier indésirable|correo no deseado|"
    r"posta indesiderata|нежелательн\w*|спам|垃圾邮件|来路不明|迷惑メール|niechcian\w*",
)
P_NOT_ALLOWLISTED = pattern(
    "not on the allowlist",
    r"not (?:in|on) (?:the |our )?(?:white|allow)[- ]?list",
    r"nicht auf (?:der )?(?:wei(?:ß|ss)e[nr]? liste|zulassungsliste)|"
    r"(?:未列入|不在)[^。]{0,20}白名单|"
    r"ホワイトリストに(?:ありません|含まれていません|登録されていません)|"
    r"pas (?:dans|sur) la liste blanche",
)
P_AUTH_DISABLED = pattern(
    "authentication disabled",
    r"auth\w* (?:is )?(?:disabled|not enabled)|smtp auth\w* is disabled",
)
P_ENCRYPTION_FOR_MECHANISM = pattern(
    "encryption required for the login method",
    r"encryption required for (?:the )?(?:requested )?auth\w*",
)
P_HELO_NAME = pattern(
    "HELO name not found",
    r"invalid (?:domain|host) ?name|host ?(?:name )?not found|helo command rejected",
)
P_REFUSED_TO_TALK = pattern(
    "refused to talk to me", r"refused to talk to me|service refus\w*|service refused"
)
P_SIZE_SYNTAX = pattern(
    "SIZE parameter malformed",
    r"\bsize (?:syntax|invalid)\b|bad (?:message )?size syntax|invalid (?:message )?size "
    r"(?:syntax|parameter|value)",
)
P_PROTOCOL = pattern(
    "protocol violation or mail loop",
    r"protocol (?:violation|error)|\blooping\b|\bmail loop|loop detected|too many hops",
)
# NetEase (163.com, 126.com, yeah.net) tags every refusal with a class code; its help
# pages ("退信代码说明") list them: HL:ICC/IFC and MI:/RP: limits are about volume and
# lift by themselves, HL:REP/MEP/IHU/IPB, DT:RBL and WM:BL* are about the sending IP.
P_NETEASE_RATE = pattern(
    "NetEase volume tag",
    r"\bhl:(?:icc|ifc)\b|\bmi:(?:dmc|sfq|cel|ccl)\b|\brp:(?:drc|cel|ccl|qrc|trc)\b",
)
P_NETEASE_REPUTATION = pattern(
    "NetEase sending-IP tag",
    r"\bhl:(?:rep|mep|ihu|ipb|ipp)\b|\bdt:rbl\b|\bwm:bl[iu]\b",
)
P_NETEASE_SPAM = pattern("NetEase spam tag", r"\bdt:spm\b")
P_MESSAGE_REJECTED = pattern(
    "message rejected (no reason)",
    r"^(?:mail|message|e-?mail)s? (?:was |has been )?(?:rejected|refused)\b|\bmail rejet",
)
#: A greeting refusal that names the client: its IP blocked or not allowed, its DNS failing.
P_CLIENT_REFUSED = pattern(
    "client address refused",
    r"(?:\d{1,3}\.){3}\d{1,3}\]?>?\)? (?:is |has been )?(?:blocked|banned|denied|not allowed)",
    r"(?:blocked|banned|unauthori[sz]ed|not allowed|denied)\w*[^.]{0,30}(?:\d{1,3}\.){3}\d{1,3}",
    r"\bdns ?look-?up|reverse dns|\brdns\b|\bptr\b",
)
#: "Reject due to policy violations" under a 4xx code: a policy deferral, not a busy server.
P_POLICY_VIOLATION = pattern(
    "policy violation stated",
    r"polic(?:y|ies) (?:violation|restriction)s?|violat\w* (?:of )?(?:our |the |local )?polic",
)
#: "Recipient doesn't want your mail": the recipient's own block, a policy refusal.
P_RECIPIENT_REFUSES = pattern(
    "recipient refuses this sender",
    r"(?:doesn't|does not|don't|do not) (?:want|wish to receive) (?:your |this )?(?:mail|e-?mail|"
    r"messages?)",
)
#: Google's translated "violates the e-mail policies of example.com" and the like.
P_POLICY_INTL = pattern(
    "policy violation (translated)",
    r"verstößt gegen|richtlinie|enfreint|politique|viola\w* (?:la |le |las |los |as |os )?"
    r"(?:norm|polít|polic|regol)|违反|政策|ポリシー|polityk\w*|narusza\w*",
)
#: Postfix's "unverified address: Recipient address lookup failed" (address verification).
P_UNVERIFIED = pattern(
    "recipient could not be verified",
    r"unverified address|(?:recipient )?address (?:lookup|verification) failed",
)
#: "451 4.4.0 DNS resolving error" in answer to a recipient: the recipient's domain.
P_DNS_ERROR = pattern(
    "DNS lookup failed",
    r"\bdns (?:resolv\w*|resolution|look-?up|query) (?:error|fail\w*|problem)",
    r"\b(?:error|failure) (?:in |while )?(?:resolving|dns)\b",
)
#: Outside DATA, "not RFC conformant" is about the protocol exchange, not the message.
P_NONCONFORMANT = pattern(
    "protocol exchange not conformant",
    r"not (?:rfc[- ]?)?(?:conformant|compliant)|non-?conformant|(?:does not|doesn't) conform",
)
#: "550 5.7.1 Command not allowed": the command, not the message or the address.
P_COMMAND_REFUSED = pattern(
    "command not accepted",
    r"\bcommand (?:is )?(?:not (?:allowed|permitted)|disabled)",
)
#: "451 4.0.0 Spam filter end message failed": the receiving filter broke, not a verdict.
P_FILTER_FAILED = pattern(
    "receiving filter failed",
    r"(?:spam ?filter|content filter|scanner|anti-?virus|anti-?spam)[^.]{0,30}"
    r"(?:failed|failure|error|unavailable|timed? ?out)",
)
#: "451 4.4.4 Temporary Server Error": the text says the server failed, whatever x.4.4 says.
P_SERVER_ERROR_STATED = pattern(
    "server error stated",
    r"\b(?:temporary |internal |local )?server error\b|\binternal (?:server )?error\b",
    r"(?:mail |e-?mail )?server (?:has )?temporarily rejected",
)
P_SERVICE_STATED = pattern(
    "service unavailable (stated)",
    r"\bqueue (?:is )?(?:unavailable|not available|full|busy)",
    r"service (?:is )?(?:currently |temporarily )?(?:not available|unavailable)",
    r"(?:server|system|mailbox server) (?:is )?(?:busy|overloaded|shutting down|not available)",
)
P_CONTENT_POLICY = pattern(
    "content policy",
    r"content (?:policy|polic\w+|restrictions?|rules?)|message content (?:rejected|deferred|"
    r"not accepted)|(?:rejected|deferred) (?:by|due to) (?:the )?content",
    r"(?:transport|mail flow|organi[sz]ation(?:al)?) rule",
)
P_SENDER_NULL_MX = pattern(
    "sender domain has a null MX",
    r"sender address rejected[^;]{0,80}(?:null ?mx|does ?n[o']t accept (?:e-?)?mail)",
    r"sender (?:address |domain )?(?:has|uses) (?:a )?null ?mx",
)
P_CONNECTION_FAILURE = pattern(
    "connection failed or timed out",
    r"timed? ?out|timeout|bad connection|no answer from host|connection (?:lost|dropped|reset|"
    r"broken)|lost connection",
    r"超时|タイムアウト|zeitüberschreitung|délai (?:d'attente )?dépassé|tiempo de espera agotado|"
    r"przekroczono (?:limit )?czas\w*",
)
P_RELAY_INTL = pattern(
    "relaying denied (translated)",
    r"relay(?:age)? (?:verweigert|refusé|interdit|non autorisé)|retransmis\w+ (?:denegada|negada)|"
    r"inoltro (?:negato|non consentito)|ретрансляция запрещена|przekazywanie\w* (?:zabronione|"
    r"niedozwolone)",
)
P_UNKNOWN_INTL = pattern(
    "recipient unknown (translated)",
    r"(?:utilisateur|destinataire|adresse|bo[iî]te)[^.]{0,20}(?:inconnu\w*|inexistant\w*|"
    r"n'existe pas)",
    r"(?:benutzer|empfänger|adresse|postfach|mailbox)[^.]{0,20}(?:unbekannt|existiert nicht|"
    r"nicht vorhanden)|unbekannte\w* (?:benutzer|empfänger)",
    r"(?:usuario|destinatario|dirección|buzón)[^.]{0,20}(?:desconocid\w*|no existe|inexistente)",
    r"(?:utente|destinatario|indirizzo|casella)[^.]{0,20}(?:sconosciut\w*|inesistente|non esiste)",
    r"(?:usuário|utilizador|destinatário|endereço|caixa)[^.]{0,20}(?:desconhecid\w*|inexistente|"
    r"não existe)",
    r"(?:пользовател\w*|адрес\w*|ящик\w*|получател\w*)[^.]{0,20}(?:не существует|не найден|"
    r"неизвест\w*)|нет такого",
)
P_REJECTED_INTL = pattern(
    "rejected (translated)",
    r"\brejet[ée]e?\b|refus[ée]e?\b|abgelehnt|zurückgewiesen|rechazad\w*|rifiutat\w*|"
    r"respint\w*|rejeitad\w*|recusad\w*|отклонен\w*|отказ\w*",
)

# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

M = Meaning
_AUTH_INVALID = M(replies.AUTH_INVALID_CREDENTIALS, replies.AUTH_TEMPORARY_FAILURE)
_UNKNOWN = M(replies.RECIPIENT_UNKNOWN, replies.RECIPIENT_UNKNOWN_TEMPORARY)
_BAD_DOMAIN = M(replies.RECIPIENT_BAD_DOMAIN, replies.RECIPIENT_BAD_DOMAIN_TEMPORARY)
_RCPT_REJECTED = M(replies.RECIPIENT_REJECTED, replies.RECIPIENT_REJECTED_TEMPORARY)
_MAILBOX = M(replies.MAILBOX_UNAVAILABLE, replies.MAILBOX_BUSY)
_DISABLED = M(replies.MAILBOX_DISABLED, replies.MAILBOX_DISABLED_TEMPORARY)
_FULL = M(replies.MAILBOX_FULL, replies.MAILBOX_FULL_TEMPORARY)
_TOO_BIG = M(replies.MESSAGE_TOO_BIG, replies.MESSAGE_TOO_BIG_TEMPORARY)
_SENDER = M(replies.SENDER_REJECTED, replies.SENDER_REJECTED_TEMPORARY)
_SENDER_INVALID = M(replies.SENDER_INVALID, replies.SENDER_REJECTED_TEMPORARY)
_SENDER_BLOCKED = M(replies.SENDER_BLOCKED)
_NOT_OWNED = M(replies.SENDER_NOT_OWNED)
_POLICY = M(replies.REJECTED_POLICY, replies.REJECTED_POLICY_TEMPORARY)
_REPUTATION = M(replies.REJECTED_REPUTATION, replies.REJECTED_REPUTATION_TEMPORARY)
_SENDER_AUTH = M(
    replies.REJECTED_SENDER_AUTHENTICATION, replies.REJECTED_SENDER_AUTHENTICATION_TEMPORARY
)
_RELAY = M(replies.REJECTED_RELAY, replies.REJECTED_RELAY_TEMPORARY)
_SPAM = M(replies.MESSAGE_SPAM, replies.MESSAGE_SPAM_TEMPORARY)
_RATE = M(replies.RATE_LIMITED, replies.RATE_LIMITED_TEMPORARY)
_RECIPIENTS = M(replies.RATE_TOO_MANY_RECIPIENTS, replies.RATE_TOO_MANY_RECIPIENTS_TEMPORARY)
_DAILY = M(replies.DAILY_QUOTA, replies.DAILY_QUOTA)
_ATTEMPTS = M(replies.AUTH_TOO_MANY_ATTEMPTS, replies.AUTH_TOO_MANY_ATTEMPTS)
_SERVER = M(replies.SERVER_ERROR, replies.SERVER_ERROR_TEMPORARY)
_STORAGE = M(replies.SERVER_ERROR, replies.SERVER_NO_SPACE)
_SERVICE = M(replies.SERVER_NO_MAIL, replies.SERVICE_UNAVAILABLE)
_TLS_UNAVAILABLE = M(replies.TLS_REFUSED, replies.TLS_UNAVAILABLE)
_CONTENT = M(replies.MESSAGE_INVALID_CONTENT, replies.REJECTED_POLICY_TEMPORARY)
_HELO = M(replies.REJECTED_HELO, replies.REJECTED_HELO_TEMPORARY)
_PARAMS = M(replies.COMMAND_PARAMETER_NOT_IMPLEMENTED, replies.COMMAND_PARAMETERS_UNAVAILABLE)
# A block that lifts by itself (QQ's "frequency limited", a recipient's receive rate):
# transient even under 5xx.
_RATE_LIFTS = M(replies.RATE_LIMITED_TEMPORARY, replies.RATE_LIMITED_TEMPORARY)
# "Retrying will NOT succeed": permanent even under 4xx.
_NEVER = M(replies.REJECTED_POLICY, replies.REJECTED_POLICY)
# TLS is a client change: retrying the same way cannot work, whatever the class.
_TLS_NEEDED = M(replies.TLS_REQUIRED, replies.TLS_REQUIRED)
_CONTENT_POLICY = M(replies.MESSAGE_CONTENT_POLICY, replies.MESSAGE_CONTENT_POLICY_TEMPORARY)
_CONNECTION = M(None, replies.CONNECTION_PROBLEM)

_NOT_MAIL = ("connect", "ehlo", "starttls", "auth", "rcpt", "data", "quit", "rset", "")

RULES: tuple[Rule, ...] = (
    *tier(
        "overrides",
        rule(_DAILY, text=P_DAILY),
        rule(_ATTEMPTS, text=P_LOGIN_ATTEMPTS),
        rule(M(replies.AUTH_APP_PASSWORD_REQUIRED), text=P_APP_PASSWORD),
        rule(M(replies.AUTH_WEB_LOGIN_REQUIRED), text=P_WEB_LOGIN),
        rule(M(replies.AUTH_MECHANISM_UNSUPPORTED), text=P_MECHANISM),
        rule(M(None, replies.RATE_TOO_MANY_CONNECTIONS), text=P_CONNECTIONS),
        rule(_RECIPIENTS, text=P_RECIPIENTS),
        rule(_FULL, text=P_FULL_MESSAGES),
        # A "rate limit" that states its cause is about that cause, not volume.
        rule(_SENDER_AUTH, text=P_RATE_BECAUSE_AUTH),
        rule(_TLS_NEEDED, text=P_NO_TLS_USED),
        rule(_SPAM, text=P_UNSOLICITED),
        rule(_NEVER, text=P_NEVER_SUCCEED),
        rule(
            M(replies.RATE_RECIPIENT_RECEIVING, replies.RATE_RECIPIENT_RECEIVING),
            text=P_RECEIVE_RATE,
        ),
        rule(_RATE_LIFTS, text=P_FREQUENCY),
        rule(_RATE, text=P_RATE),
        rule(M(None, replies.REJECTED_GREYLISTED), text=P_GREYLIST),
        rule(_SENDER_BLOCKED, text=P_SENDER_BLOCKED),
        rule(M(replies.AUTH_REQUIRED), text=P_NOT_LOGGED_IN),
        # Sizes and quotas before Exchange's RESOLVER.RST.* ("…SizeLimit; too large").
        rule(_FULL, text=P_FULL_STRONG),
        rule(_TOO_BIG, text=P_SIZE_STRONG),
        # In the message a long line is the message's fault; in a command it is protocol.
        rule(_TOO_BIG, stage=("data", ""), text=P_LINE_TOO_LONG),
        rule(M(replies.RECIPIENT_RESTRICTED), text=P_RESTRICTED),
        # "Relaying denied. Proper authentication required.": the cure is logging in.
        rule(M(replies.AUTH_REQUIRED), text=P_AUTH_TURN_ON),
        rule(_NOT_OWNED, text=P_NOT_OWNED),
        rule(M(replies.SENDER_NULL_MX), text=P_SENDER_NULL_MX),
        rule(_SENDER_INVALID, text=P_SENDER_SYNTAX),
        rule(_SENDER, text=P_SENDER),
        rule(_RELAY, text=P_RELAY),
        rule(_RELAY, text=P_RELAY_INTL),
        rule(_UNKNOWN, text=P_EXCHANGE_NOT_FOUND),
    ),
    *tier(
        "evidence",
        # Phrases that name one cause outrank the generic codes they come with
        # (5.0.0, 5.1.1, 5.7.1, 550, 553, 554 …).
        rule(M(replies.SENDER_NULL_MX), enh="7.27"),
        rule(_REPUTATION, text=P_BLOCKLIST),
        rule(_UNKNOWN, text=P_BARE_ADDRESS_REJECTED),
        rule(_UNKNOWN, text=P_UNKNOWN_INTL),
        rule(_POLICY, text=P_REFUSED_TO_TALK),
        # "Spam filter … failed": the filter broke; no verdict about the message.
        rule(_SERVER, text=P_FILTER_FAILED),
        rule(_SPAM, text=P_SPAM_STATED),
        rule(_POLICY, text=P_NOT_ALLOWLISTED),
        rule(_POLICY, text=P_HELO_DENIED),
        rule(_SERVER, text=P_PROTOCOL),
        rule(_SERVER, stage=("connect", "ehlo", "starttls", "mail", "rcpt"), text=P_NONCONFORMANT),
        rule(
            M(replies.COMMAND_NOT_IMPLEMENTED, replies.SERVER_ERROR_TEMPORARY),
            text=P_COMMAND_REFUSED,
        ),
        # "501 5.5.4 Bad message size syntax", "552 5.2.3 Message size invalid": the
        # SIZE= parameter, not the message, is at fault.
        rule(M(replies.COMMAND_BAD_ARGUMENTS), text=P_SIZE_SYNTAX),
        rule(_RATE_LIFTS, text=P_NETEASE_RATE),
        rule(_REPUTATION, text=P_NETEASE_REPUTATION),
        rule(_SPAM, text=P_NETEASE_SPAM),
        rule(_POLICY, enh=("2.0", "0.0"), text=P_MESSAGE_REJECTED),
        # A greeting refusal that gives a reason (PTR, "your IP") is about the sender.
        rule(_REPUTATION, code=(421, 550, 554), stage="connect", text=P_REPUTATION),
        rule(_REPUTATION, code=(421, 450, 521, 550, 554), stage="connect", text=P_CLIENT_REFUSED),
        rule(_POLICY, code=(421, 450, 451), text=P_POLICY_VIOLATION),
        rule(_SERVER, text=P_SERVER_ERROR_STATED),
        rule(_POLICY, text=P_RECIPIENT_REFUSES),
        rule(_UNKNOWN, text=P_UNVERIFIED),
        rule(_BAD_DOMAIN, stage=("rcpt", "data", ""), text=P_DNS_ERROR),
        # RFC 5321's 554 greeting: the server refuses this client.
        rule(M(replies.SERVICE_REFUSED), code=554, stage="connect", text=P_SERVICE_STATED),
        rule(M(replies.SERVER_NO_MAIL), code=554, text=P_SERVICE_STATED),
        rule(M(None, replies.SERVICE_UNAVAILABLE), text=P_SERVICE_STATED),
        # An unresolvable name in answer to HELO is this computer's name.
        rule(_HELO, stage="ehlo", text=P_HELO_NAME),
        rule(_HELO, stage="ehlo", text=P_HELO),
        rule(M(replies.AUTH_NOT_SUPPORTED), text=P_AUTH_DISABLED),
        rule(M(replies.AUTH_ENCRYPTION_REQUIRED), text=P_ENCRYPTION_FOR_MECHANISM),
        rule(_CONNECTION, text=P_CONNECTION_FAILURE),
    ),
    *tier(
        "enhanced",
        # Yahoo answers "554 5.7.9 Message not accepted for policy reasons".
        rule(_POLICY, enh="7.9", text=P_POLICY_REASONS),
        rule(
            M(replies.AUTH_ACCOUNT_DISABLED), enh="7.8", stage=AUTH_STAGES, text=P_ACCOUNT_DISABLED
        ),
        rule(_AUTH_INVALID, enh="7.8", stage=AUTH_STAGES),
        rule(M(replies.AUTH_MECHANISM_TOO_WEAK), enh="7.9", stage=AUTH_STAGES),
        rule(M(replies.TLS_REQUIRED), enh="7.10"),
        rule(M(replies.AUTH_ENCRYPTION_REQUIRED), enh="7.11"),
        rule(M(None, replies.AUTH_PASSWORD_TRANSITION), enh="7.12"),
        rule(M(replies.AUTH_ACCOUNT_DISABLED), enh="7.13", stage=AUTH_STAGES),
        rule(_SENDER_BLOCKED, enh="7.13", stage="mail"),
        rule(_DISABLED, enh="7.13"),
        rule(M(replies.AUTH_WEB_LOGIN_REQUIRED), enh="7.14", stage=AUTH_STAGES),
        rule(M(replies.AUTH_MECHANISM_UNSUPPORTED), enh="7.4", stage=AUTH_STAGES),
        rule(_TLS_UNAVAILABLE, enh="7.4"),
        rule(_RCPT_REJECTED, enh=("7.17", "7.18")),
        rule(M(replies.AUTH_REQUIRED), enh="7.57"),
        rule(_NOT_OWNED, enh="7.60"),
        rule(_RELAY, enh=("7.54", "7.64")),
        rule(M(replies.RECIPIENT_RESTRICTED), enh="7.133-136"),
        rule(_SENDER_AUTH, enh=("7.20-24", "7.26", "7.29")),
        rule(_REPUTATION, enh="7.25"),
        rule(_SENDER, enh="7.27"),
        rule(_RATE, enh="7.28"),
        rule(_SENDER, enh=("1.1", "1.2"), stage="mail"),
        rule(_UNKNOWN, enh="1.1"),
        rule(_BAD_DOMAIN, enh="1.2"),
        rule(_SENDER_INVALID, enh="1.3", stage="mail"),
        rule(M(replies.RECIPIENT_BAD_ADDRESS, replies.RECIPIENT_REJECTED_TEMPORARY), enh="1.3"),
        rule(M(replies.RECIPIENT_NOT_LOCAL), enh="1.6"),
        rule(_SENDER_INVALID, enh="1.7"),
        rule(_SENDER, enh="1.8"),
        rule(M(replies.RECIPIENT_DOMAIN_NO_MAIL), enh="1.10"),
        rule(_DAILY, enh="1.90"),  # Microsoft 365: daily recipient limit
        rule(_FULL, enh="2.1", text=P_FULL),
        rule(_DISABLED, enh="2.1"),
        rule(_FULL, enh="2.2"),
        rule(_TOO_BIG, enh=("2.3", "3.4")),
        rule(_STORAGE, enh="3.1"),
        rule(_SERVICE, enh="3.2"),
        # Exchange Online's directory-based edge blocking: "550 5.4.1 Recipient
        # address rejected: Access denied" (relaying, "5.4.1 Relay Access
        # Denied", is taken by the overrides).
        rule(_UNKNOWN, enh="4.1", text=P_EOP_DENIED),
        rule(_BAD_DOMAIN, enh="4.4"),
        rule(_RECIPIENTS, enh="5.3"),
        rule(M(replies.ADDRESS_UTF8_UNSUPPORTED), enh=("6.7", "6.9")),
        rule(_SERVER, enh=("2.4", "6.5")),
        rule(_CONNECTION, enh="4.0-2"),
    ),
    *tier(
        "reply code",
        rule(M(None, replies.AUTH_PASSWORD_TRANSITION), code=432),
        rule(M(replies.TLS_REQUIRED), code=523),
        rule(M(replies.TLS_REQUIRED), code=530, text=P_TLS_REQUIRED),
        rule(M(replies.AUTH_ENCRYPTION_REQUIRED), code=530, stage="auth"),
        rule(M(replies.AUTH_REQUIRED), code=530),
        rule(M(replies.AUTH_MECHANISM_TOO_WEAK), code=534),
        rule(M(replies.AUTH_ACCOUNT_DISABLED), code=535, text=P_ACCOUNT_DISABLED),
        rule(_AUTH_INVALID, code=535),
        rule(M(replies.AUTH_ENCRYPTION_REQUIRED), code=538),
        rule(M(replies.RECIPIENT_NOT_LOCAL), code=551, stage=("rcpt", "mail", "data", "")),
        rule(M(replies.RECIPIENT_DOMAIN_NO_MAIL), code=556),
        rule(M(replies.SERVER_NO_MAIL), code=521),
        rule(_TLS_UNAVAILABLE, code=454, text=P_TLS_UNAVAILABLE),
        rule(_TLS_UNAVAILABLE, stage="starttls", not_code=(421, 500, 501)),
        rule(_SERVER, code=454, enh=("3", "4")),
        rule(M(None, replies.AUTH_TEMPORARY_FAILURE), code=454, stage=AUTH_STAGES),
        rule(_SERVER, code=454),
        rule(M(replies.AUTH_MECHANISM_UNSUPPORTED), code=504, stage="auth"),
        rule(M(replies.AUTH_NOT_SUPPORTED), code=502, stage="auth"),
        rule(M(replies.AUTH_NOT_SUPPORTED), code=503, stage="auth", text=P_AUTH_CMD),
    ),
    *tier(
        "text",
        rule(_TLS_UNAVAILABLE, text=P_TLS_UNAVAILABLE),
        rule(_TLS_NEEDED, text=P_TLS_REQUIRED),
        rule(_SENDER_AUTH, text=P_SENDER_AUTH),
        rule(M(replies.AUTH_REQUIRED), text=P_AUTH_REQUIRED),
        rule(M(replies.AUTH_ACCOUNT_DISABLED), stage="auth", text=P_ACCOUNT_DISABLED),
        rule(_AUTH_INVALID, text=P_AUTH_FAILED),
        rule(_HELO, text=P_HELO),
        rule(_CONTENT, stage="data", text=P_INVALID_CONTENT),
        rule(M(replies.ADDRESS_UTF8_UNSUPPORTED), text=P_UTF8),
        rule(_FULL, text=P_FULL),
        rule(_STORAGE, text=P_SERVER_STORAGE),
        rule(_TOO_BIG, text=P_TOO_BIG),
        rule(M(replies.MESSAGE_DANGEROUS_CONTENT), text=P_VIRUS),
        rule(_SENDER_INVALID, stage="mail", text=P_BAD_ADDRESS),
        rule(
            M(replies.RECIPIENT_BAD_ADDRESS, replies.RECIPIENT_REJECTED_TEMPORARY),
            text=P_BAD_ADDRESS,
        ),
        rule(M(replies.RECIPIENT_NOT_LOCAL), text=P_NOT_LOCAL),
        rule(M(replies.RECIPIENT_DOMAIN_NO_MAIL), text=P_DOMAIN_NO_MAIL),
        rule(M(replies.SERVER_NO_MAIL), text=P_SERVER_NO_MAIL),
        rule(_SENDER_BLOCKED, stage="mail", text=P_ACCOUNT_DISABLED),
        rule(_UNKNOWN, text=P_UNKNOWN),
        rule(_REPUTATION, text=P_REPUTATION),
        rule(_BAD_DOMAIN, text=P_BAD_DOMAIN),
        rule(_SPAM, text=P_SPAM),
        rule(_CONTENT_POLICY, text=P_CONTENT_POLICY),
        rule(_MAILBOX, text=P_MAILBOX_BUSY),
        rule(_DISABLED, text=P_ACCOUNT_DISABLED),
    ),
    *tier(
        "protocol",
        rule(M(None, replies.SERVICE_UNAVAILABLE), code=421),
        rule(M(replies.SERVICE_REFUSED), code=554, stage="connect"),
        rule(M(replies.COMMAND_INVALID), code=500),
        rule(M(replies.COMMAND_BAD_ARGUMENTS), code=501),
        rule(M(replies.COMMAND_NOT_IMPLEMENTED), code=502),
        rule(M(replies.COMMAND_BAD_SEQUENCE), code=503),
        rule(_PARAMS, code=(504, 555, 455)),
        rule(_SENDER, code=553, stage="mail"),
        rule(M(replies.MAILBOX_NAME_INVALID), code=553),
    ),
    *tier(
        "enhanced class",
        # Any other refusal of AUTH is a refused login.
        rule(_AUTH_INVALID, stage="auth"),
        rule(_SENDER, enh="1", stage="mail"),
        rule(_RCPT_REJECTED, enh="1"),
        rule(_MAILBOX, enh="2"),
        rule(_SERVER, enh=("3", "4")),
        rule(_CONTENT, enh="6"),
        # x.7.0 ("other security status") says too little: the text decides first.
        rule(_POLICY, enh="7.1-999"),
    ),
    *tier(
        "generic text",
        rule(_MAILBOX, text=P_MAILBOX_UNAVAILABLE),
        rule(M(None, replies.SERVICE_UNAVAILABLE), text=P_SERVICE),
        rule(_POLICY, text=P_REFUSED),
        rule(_POLICY, text=P_REJECTED_INTL),
        rule(_POLICY, text=P_POLICY_INTL),
        rule(_SERVER, text=P_TEMPORARY),
    ),
    *tier(
        "default",
        rule(_POLICY, enh="7"),
        # x.0 ("other undefined") and x.5 (protocol) say nothing about the recipient.
        rule(_SERVER, enh="0", not_code=554),
        rule(M(replies.COMMAND_INVALID, replies.SERVER_ERROR_TEMPORARY), enh="5"),
        rule(M(None, replies.MAILBOX_BUSY), code=450),
        rule(M(None, replies.SERVER_ERROR_TEMPORARY), code=451),
        rule(M(None, replies.SERVER_NO_SPACE), code=452),
        rule(_SENDER, code=550, stage="mail"),
        rule(M(replies.MAILBOX_UNAVAILABLE), code=550),
        rule(_FULL, code=552, stage="rcpt"),
        rule(_TOO_BIG, code=552),
        rule(M(replies.TRANSACTION_FAILED), code=554),
    ),
    *tier(
        "class",
        rule(M(core_keys.SERVER_UNKNOWN, replies.SERVER_ERROR_TEMPORARY)),
    ),
)
"""The reply table, in the order it is tried."""


def classify(reply: ServerReply, *, stage: str) -> ErrorSpec:
    """The error key for a server reply at ``stage``.

    :param reply: the reply; its enhanced code is read from the text when empty.
    :param stage: ``connect``, ``ehlo``, ``starttls``, ``auth``, ``mail``, ``rcpt``,
        ``data``, ``quit`` (anything else counts as unknown).
    :returns: the matching spec; ``server.unknown`` for replies that are not
        4xx/5xx failures.
    """
    parsed = parse(reply, stage=stage)
    if parsed is None:
        return core_keys.SERVER_UNKNOWN
    return match(parsed, RULES) or core_keys.SERVER_UNKNOWN
