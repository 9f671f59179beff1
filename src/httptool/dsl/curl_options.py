# ruff: noqa: E501  (a data table: one option per line reads and diffs best)
"""Every option of curl 7.88.1 (``curl --help all``) and what httptool does with it.

The one place that decides the parser's message for a real curl option that httptool does
not honour ("curl option '--x' is not supported by httptool: <reason>") and the table in
docs/curl.md (tests/dsl/test_curl_options.py checks both, and this list against the
installed curl). What httptool *honours* is the parser's own table (``_LONG`` in
dsl/curl.py); an entry here says what happens to the others: ``ignored`` (accepted, no
effect on what is sent: the curl program's own output and tuning) or ``unsupported``
(refused at validate time, saying why and what to write instead).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Fate = Literal["ignored", "unsupported"]


class CurlOption(NamedTuple):
    """One curl option: its short letter (or ""), whether it takes an argument, curl's
    own one-line help, and (when httptool does not honour it) its fate and why."""

    short: str
    takes_arg: bool
    help: str
    fate: Fate | None = None
    why: str = ""


_OUTPUT = (
    'output of the curl program itself; a load test does not save or print responses'
)
_TCP = (
    "TCP tuning of the curl program; httptool's connections use TCP_NODELAY and the kernel's defaults"
)
_TLSV = (
    "TLS versions are negotiated by Python's ssl module with its defaults (TLS 1.2 and 1.3); pinning a version is not supported"
)
_TLSX = (
    "httptool's TLS takes -k, --cacert, --cert and --key; other TLS tuning is not supported"
)
_PROXYX = (
    "httptool's proxy support is an HTTP proxy given with -x (credentials in its URL: -x http://user:pass@host:port); other proxy settings are not supported"
)
_SOCKS = (
    'SOCKS proxies are not supported (an HTTP proxy with -x is)'
)
_AUTH = (
    'httptool sends Basic credentials (-u) or any Authorization header you write with -H; other authentication schemes are not supported'
)
_NETRC = (
    'credentials from .netrc are not read; write them with -u (and ${env.NAME})'
)
_PROTO = (
    'applies to a protocol other than HTTP(S), which httptool does not speak'
)
_HTTPV = (
    'httptool speaks HTTP/1.1 and HTTP/2; other HTTP versions are not supported'
)
_LOAD = (
    "the load shape (how many, how fast, in parallel) is set by the scenario's load statement, not per request"
)
_TOOL = (
    'a setting of the curl program itself, not of a request'
)
_DNS = (
    'names are resolved by the system resolver; DNS settings are not supported'
)
_CONN = (
    "not supported yet: httptool connects to the URL's host and port (put the address in the URL, or use --base-url-map)"
)
_RETRY = (
    'write a retry block after the command instead: retry { max_attempts = N+1 } (it also sets the backoff and what to retry on)'
)

#: long name -> option, in the order of ``curl --help all`` (curl 7.88.1).
OPTIONS: dict[str, CurlOption] = {
    'abstract-unix-socket': CurlOption('', True, 'Connect via abstract Unix domain socket', "unsupported", _CONN),
    'alt-svc': CurlOption('', True, 'Enable alt-svc with this cache file', "ignored", _OUTPUT),
    'anyauth': CurlOption('', False, 'Pick any authentication method', "unsupported", _AUTH),
    'append': CurlOption('a', False, 'Append to target file when uploading', "unsupported", _PROTO),
    'aws-sigv4': CurlOption('', True, 'Use AWS V4 signature authentication', "unsupported", _AUTH),
    'basic': CurlOption('', False, 'Use HTTP Basic Authentication', "ignored", 'Basic is what -u sends already (also with --no-basic, as in curl)'),
    'cacert': CurlOption('', True, 'CA certificate to verify peer against'),
    'capath': CurlOption('', True, 'CA directory to verify peer against'),
    'cert': CurlOption('E', True, 'Client certificate file and password'),
    'cert-status': CurlOption('', False, 'Verify the status of the server cert via OCSP-staple', "unsupported", _TLSX),
    'cert-type': CurlOption('', True, 'Certificate type (DER/PEM/ENG/P12)', "unsupported", _TLSX),
    'ciphers': CurlOption('', True, 'SSL ciphers to use', "unsupported", _TLSX),
    'compressed': CurlOption('', False, 'Request compressed response'),
    'compressed-ssh': CurlOption('', False, 'Enable SSH compression', "unsupported", _PROTO),
    'config': CurlOption('K', True, 'Read config from a file', "unsupported", _TOOL),
    'connect-timeout': CurlOption('', True, 'Maximum time allowed for connection'),
    'connect-to': CurlOption('', True, 'Connect to host'),
    'continue-at': CurlOption('C', True, 'Resumed transfer offset', "unsupported", "resuming a transfer is not supported; write the header: -H 'Range: bytes=N-'"),
    'cookie': CurlOption('b', True, 'Send cookies from string/file'),
    'cookie-jar': CurlOption('c', True, 'Write cookies to <filename> after operation', "ignored", "the run keeps each VU's cookies in memory, as a jar that -c would save"),
    'create-dirs': CurlOption('', False, 'Create necessary local directory hierarchy', "ignored", _OUTPUT),
    'create-file-mode': CurlOption('', True, 'File mode for created files', "ignored", _OUTPUT),
    'crlf': CurlOption('', False, 'Convert LF to CRLF in upload', "unsupported", _PROTO),
    'crlfile': CurlOption('', True, 'Use this CRL list', "unsupported", _TLSX),
    'curves': CurlOption('', True, '(EC) TLS key exchange algorithm(s) to request', "unsupported", _TLSX),
    'data': CurlOption('d', True, 'HTTP POST data'),
    'data-ascii': CurlOption('', True, 'HTTP POST ASCII data'),
    'data-binary': CurlOption('', True, 'HTTP POST binary data'),
    'data-raw': CurlOption('', True, "HTTP POST data, '@' allowed"),
    'data-urlencode': CurlOption('', True, 'HTTP POST data URL encoded'),
    'delegation': CurlOption('', True, 'GSS-API delegation permission', "unsupported", _AUTH),
    'digest': CurlOption('', False, 'Use HTTP Digest Authentication', "unsupported", _AUTH),
    'disable': CurlOption('q', False, 'Disable .curlrc', "unsupported", _TOOL),
    'disable-eprt': CurlOption('', False, 'Inhibit using EPRT or LPRT', "unsupported", _PROTO),
    'disable-epsv': CurlOption('', False, 'Inhibit using EPSV', "unsupported", _PROTO),
    'disallow-username-in-url': CurlOption('', False, 'Disallow username in URL', "unsupported", 'not supported; remove the user name from the URL'),
    'dns-interface': CurlOption('', True, 'Interface to use for DNS requests', "unsupported", _DNS),
    'dns-ipv4-addr': CurlOption('', True, 'IPv4 address to use for DNS requests', "unsupported", _DNS),
    'dns-ipv6-addr': CurlOption('', True, 'IPv6 address to use for DNS requests', "unsupported", _DNS),
    'dns-servers': CurlOption('', True, 'DNS server addrs to use', "unsupported", _DNS),
    'doh-cert-status': CurlOption('', False, 'Verify the status of the DoH server cert via OCSP-staple', "unsupported", _DNS),
    'doh-insecure': CurlOption('', False, 'Allow insecure DoH server connections', "unsupported", _DNS),
    'doh-url': CurlOption('', True, 'Resolve host names over DoH', "unsupported", _DNS),
    'dump-header': CurlOption('D', True, 'Write the received headers to <filename>', "ignored", _OUTPUT),
    'egd-file': CurlOption('', True, 'EGD socket path for random data', "unsupported", _TLSX),
    'engine': CurlOption('', True, 'Crypto engine to use', "unsupported", _TLSX),
    'etag-compare': CurlOption('', True, 'Pass an ETag from a file as a custom header', "unsupported", 'write the header yourself: -H \'If-None-Match: "etag"\''),
    'etag-save': CurlOption('', True, 'Parse ETag from a request and save it to a file', "ignored", _OUTPUT),
    'expect100-timeout': CurlOption('', True, 'How long to wait for 100-continue', "unsupported", "httptool never sends 'Expect: 100-continue'"),
    'fail': CurlOption('f', False, 'Fail fast with no output on HTTP errors', "ignored", _OUTPUT),
    'fail-early': CurlOption('', False, 'Fail on first transfer error, do not continue', "ignored", _OUTPUT),
    'fail-with-body': CurlOption('', False, 'Fail on HTTP errors but save the body', "ignored", _OUTPUT),
    'false-start': CurlOption('', False, 'Enable TLS False Start', "unsupported", _TLSX),
    'form': CurlOption('F', True, 'Specify multipart MIME data'),
    'form-escape': CurlOption('', False, 'Escape multipart form field/file names using backslash', "unsupported", '-F names are escaped as curl does by default (" as %22)'),
    'form-string': CurlOption('', True, 'Specify multipart MIME data'),
    'ftp-account': CurlOption('', True, 'Account data string', "unsupported", _PROTO),
    'ftp-alternative-to-user': CurlOption('', True, 'String to replace USER [name]', "unsupported", _PROTO),
    'ftp-create-dirs': CurlOption('', False, 'Create the remote dirs if not present', "unsupported", _PROTO),
    'ftp-method': CurlOption('', True, 'Control CWD usage', "unsupported", _PROTO),
    'ftp-pasv': CurlOption('', False, 'Use PASV/EPSV instead of PORT', "unsupported", _PROTO),
    'ftp-port': CurlOption('P', True, 'Use PORT instead of PASV', "unsupported", _PROTO),
    'ftp-pret': CurlOption('', False, 'Send PRET before PASV', "unsupported", _PROTO),
    'ftp-skip-pasv-ip': CurlOption('', False, 'Skip the IP address for PASV', "unsupported", _PROTO),
    'ftp-ssl-ccc': CurlOption('', False, 'Send CCC after authenticating', "unsupported", _PROTO),
    'ftp-ssl-ccc-mode': CurlOption('', True, 'Set CCC mode', "unsupported", _PROTO),
    'ftp-ssl-control': CurlOption('', False, 'Require SSL/TLS for FTP login, clear for transfer', "unsupported", _PROTO),
    'get': CurlOption('G', False, 'Put the post data in the URL and use GET'),
    'globoff': CurlOption('g', False, 'Disable URL sequences and ranges using {} and []'),
    'happy-eyeballs-timeout-ms': CurlOption('', True, 'Time for IPv6 before trying IPv4', "ignored", _TCP),
    'haproxy-protocol': CurlOption('', False, 'Send HAProxy PROXY protocol v1 header', "unsupported", _PROXYX),
    'head': CurlOption('I', False, 'Show document info only'),
    'header': CurlOption('H', True, 'Pass custom header(s) to server'),
    'help': CurlOption('h', True, 'Get help for commands', "unsupported", _TOOL),
    'hostpubmd5': CurlOption('', True, 'Acceptable MD5 hash of the host public key', "unsupported", _PROTO),
    'hostpubsha256': CurlOption('', True, 'Acceptable SHA256 hash of the host public key', "unsupported", _PROTO),
    'hsts': CurlOption('', True, 'Enable HSTS with this cache file', "unsupported", 'HSTS caches are not supported; use https:// URLs'),
    'http0.9': CurlOption('', False, 'Allow HTTP 0.9 responses', "unsupported", _HTTPV),
    'http1.0': CurlOption('0', False, 'Use HTTP 1.0', "unsupported", _HTTPV),
    'http1.1': CurlOption('', False, 'Use HTTP 1.1'),
    'http2': CurlOption('', False, 'Use HTTP 2'),
    'http2-prior-knowledge': CurlOption('', False, 'Use HTTP 2 without HTTP/1.1 Upgrade'),
    'http3': CurlOption('', False, 'Use HTTP v3', "unsupported", _HTTPV),
    'http3-only': CurlOption('', False, 'Use HTTP v3 only', "unsupported", _HTTPV),
    'ignore-content-length': CurlOption('', False, 'Ignore the size of the remote resource', "unsupported", 'httptool always frames responses by their Content-Length'),
    'include': CurlOption('i', False, 'Include protocol response headers in the output', "ignored", _OUTPUT),
    'insecure': CurlOption('k', False, 'Allow insecure server connections'),
    'interface': CurlOption('', True, 'Use network INTERFACE (or address)', "unsupported", _CONN),
    'ipv4': CurlOption('4', False, 'Resolve names to IPv4 addresses'),
    'ipv6': CurlOption('6', False, 'Resolve names to IPv6 addresses'),
    'json': CurlOption('', True, 'HTTP POST JSON'),
    'junk-session-cookies': CurlOption('j', False, 'Ignore session cookies read from file', "ignored", "each VU starts with an empty jar; -b cookies are sent as given"),
    'keepalive-time': CurlOption('', True, 'Interval time for keepalive probes', "ignored", _TCP),
    'key': CurlOption('', True, 'Private key file name'),
    'key-type': CurlOption('', True, 'Private key file type (DER/PEM/ENG)', "unsupported", _TLSX),
    'krb': CurlOption('', True, 'Enable Kerberos with security <level>', "unsupported", _AUTH),
    'libcurl': CurlOption('', True, 'Dump libcurl equivalent code of this command line', "ignored", _OUTPUT),
    'limit-rate': CurlOption('', True, 'Limit transfer speed to RATE', "unsupported", _LOAD),
    'list-only': CurlOption('l', False, 'List only mode', "unsupported", _PROTO),
    'local-port': CurlOption('', True, 'Force use of RANGE for local port numbers', "unsupported", _CONN),
    'location': CurlOption('L', False, 'Follow redirects'),
    'location-trusted': CurlOption('', False, 'Like --location, and send auth to other hosts'),
    'login-options': CurlOption('', True, 'Server login options', "unsupported", _AUTH),
    'mail-auth': CurlOption('', True, 'Originator address of the original email', "unsupported", _PROTO),
    'mail-from': CurlOption('', True, 'Mail from this address', "unsupported", _PROTO),
    'mail-rcpt': CurlOption('', True, 'Mail to this address', "unsupported", _PROTO),
    'mail-rcpt-allowfails': CurlOption('', False, 'Allow RCPT TO command to fail for some recipients', "unsupported", _PROTO),
    'manual': CurlOption('M', False, 'Display the full manual', "unsupported", _TOOL),
    'max-filesize': CurlOption('', True, 'Maximum file size to download', "unsupported", 'a size limit on responses is not supported; assert on it instead (assert { size < N })'),
    'max-redirs': CurlOption('', True, 'Maximum number of redirects allowed'),
    'max-time': CurlOption('m', True, 'Maximum time allowed for transfer'),
    'metalink': CurlOption('', False, 'Process given URLs as metalink XML file', "unsupported", _TOOL),
    'negotiate': CurlOption('', False, 'Use HTTP Negotiate (SPNEGO) authentication', "unsupported", _AUTH),
    'netrc': CurlOption('n', False, 'Must read .netrc for user name and password', "unsupported", _NETRC),
    'netrc-file': CurlOption('', True, 'Specify FILE for netrc', "unsupported", _NETRC),
    'netrc-optional': CurlOption('', False, 'Use either .netrc or URL', "unsupported", _NETRC),
    'next': CurlOption(':', False, 'Make next URL use its separate set of options', "unsupported", _LOAD),
    'no-alpn': CurlOption('', False, 'Disable the ALPN TLS extension', "unsupported", _TLSX),
    'no-buffer': CurlOption('N', False, 'Disable buffering of the output stream', "ignored", _OUTPUT),
    'no-clobber': CurlOption('', False, 'Do not overwrite files that already exist', "ignored", _OUTPUT),
    'no-keepalive': CurlOption('', False, 'Disable TCP keepalive on the connection', "ignored", _TCP),
    'no-npn': CurlOption('', False, 'Disable the NPN TLS extension', "unsupported", _TLSX),
    'no-progress-meter': CurlOption('', False, 'Do not show the progress meter', "ignored", _OUTPUT),
    'no-sessionid': CurlOption('', False, 'Disable SSL session-ID reusing', "unsupported", _TLSX),
    'noproxy': CurlOption('', True, 'List of hosts which do not use proxy'),
    'ntlm': CurlOption('', False, 'Use HTTP NTLM authentication', "unsupported", _AUTH),
    'ntlm-wb': CurlOption('', False, 'Use HTTP NTLM authentication with winbind', "unsupported", _AUTH),
    'oauth2-bearer': CurlOption('', True, 'OAuth 2 Bearer Token'),
    'output': CurlOption('o', True, 'Write to file instead of stdout', "ignored", _OUTPUT),
    'output-dir': CurlOption('', True, 'Directory to save files in', "ignored", _OUTPUT),
    'parallel': CurlOption('Z', False, 'Perform transfers in parallel', "unsupported", _LOAD),
    'parallel-immediate': CurlOption('', False, 'Do not wait for multiplexing (with --parallel)', "unsupported", _LOAD),
    'parallel-max': CurlOption('', True, 'Maximum concurrency for parallel transfers', "unsupported", _LOAD),
    'pass': CurlOption('', True, 'Pass phrase for the private key', "unsupported", _TLSX),
    'path-as-is': CurlOption('', False, 'Do not squash .. sequences in URL path'),
    'pinnedpubkey': CurlOption('', True, 'FILE/HASHES Public key to verify peer against', "unsupported", _TLSX),
    'post301': CurlOption('', False, 'Do not switch to GET after following a 301', "unsupported", 'with -L httptool does what curl does by default (POST becomes GET); keeping POST is not supported'),
    'post302': CurlOption('', False, 'Do not switch to GET after following a 302', "unsupported", 'with -L httptool does what curl does by default (POST becomes GET); keeping POST is not supported'),
    'post303': CurlOption('', False, 'Do not switch to GET after following a 303', "unsupported", 'with -L httptool does what curl does by default (POST becomes GET); keeping POST is not supported'),
    'preproxy': CurlOption('', True, 'Use this proxy first', "unsupported", _PROXYX),
    'progress-bar': CurlOption('#', False, 'Display transfer progress as a bar', "ignored", _OUTPUT),
    'proto': CurlOption('', True, 'Enable/disable PROTOCOLS', "unsupported", 'httptool speaks http and https only; restricting protocols is not supported'),
    'proto-default': CurlOption('', True, 'Use PROTOCOL for any URL missing a scheme', "unsupported", 'a URL without a scheme is http, as in curl; another default is not supported'),
    'proto-redir': CurlOption('', True, 'Enable/disable PROTOCOLS on redirect', "unsupported", 'redirects (-L) follow http and https only; restricting them is not supported'),
    'proxy': CurlOption('x', True, 'Use this proxy'),
    'proxy-anyauth': CurlOption('', False, 'Pick any proxy authentication method', "unsupported", _PROXYX),
    'proxy-basic': CurlOption('', False, 'Use Basic authentication on the proxy', "unsupported", _PROXYX),
    'proxy-cacert': CurlOption('', True, 'CA certificate to verify peer against for proxy', "unsupported", _PROXYX),
    'proxy-capath': CurlOption('', True, 'CA directory to verify peer against for proxy', "unsupported", _PROXYX),
    'proxy-cert': CurlOption('', True, 'Set client certificate for proxy', "unsupported", _PROXYX),
    'proxy-cert-type': CurlOption('', True, 'Client certificate type for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-ciphers': CurlOption('', True, 'SSL ciphers to use for proxy', "unsupported", _PROXYX),
    'proxy-crlfile': CurlOption('', True, 'Set a CRL list for proxy', "unsupported", _PROXYX),
    'proxy-digest': CurlOption('', False, 'Use Digest authentication on the proxy', "unsupported", _PROXYX),
    'proxy-header': CurlOption('', True, 'Pass custom header(s) to proxy', "unsupported", _PROXYX),
    'proxy-insecure': CurlOption('', False, 'Do HTTPS proxy connections without verifying the proxy', "unsupported", _PROXYX),
    'proxy-key': CurlOption('', True, 'Private key for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-key-type': CurlOption('', True, 'Private key file type for proxy', "unsupported", _PROXYX),
    'proxy-negotiate': CurlOption('', False, 'Use HTTP Negotiate (SPNEGO) authentication on the proxy', "unsupported", _PROXYX),
    'proxy-ntlm': CurlOption('', False, 'Use NTLM authentication on the proxy', "unsupported", _PROXYX),
    'proxy-pass': CurlOption('', True, 'Pass phrase for the private key for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-pinnedpubkey': CurlOption('', True, 'FILE/HASHES public key to verify proxy with', "unsupported", _PROXYX),
    'proxy-service-name': CurlOption('', True, 'SPNEGO proxy service name', "unsupported", _PROXYX),
    'proxy-ssl-allow-beast': CurlOption('', False, 'Allow security flaw for interop for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-ssl-auto-client-cert': CurlOption('', False, 'Use auto client certificate for proxy (Schannel)', "unsupported", _PROXYX),
    'proxy-tls13-ciphers': CurlOption('', True, 'TLS 1.3 proxy cipher suites', "unsupported", _PROXYX),
    'proxy-tlsauthtype': CurlOption('', True, 'TLS authentication type for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-tlspassword': CurlOption('', True, 'TLS password for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-tlsuser': CurlOption('', True, 'TLS username for HTTPS proxy', "unsupported", _PROXYX),
    'proxy-tlsv1': CurlOption('', False, 'Use TLSv1 for HTTPS proxy', "unsupported", _TLSV),
    'proxy-user': CurlOption('U', True, 'Proxy user and password'),
    'proxy1.0': CurlOption('', True, 'Use HTTP/1.0 proxy on given port', "unsupported", _PROXYX),
    'proxytunnel': CurlOption('p', False, 'Operate through an HTTP proxy tunnel (using CONNECT)', "unsupported", _PROXYX),
    'pubkey': CurlOption('', True, 'SSH Public key file name', "unsupported", _PROTO),
    'quote': CurlOption('Q', True, 'Send command(s) to server before transfer', "unsupported", _PROTO),
    'random-file': CurlOption('', True, 'File for reading random data from', "unsupported", _TLSX),
    'range': CurlOption('r', True, 'Retrieve only the bytes within RANGE'),
    'rate': CurlOption('', True, 'Request rate for serial transfers', "unsupported", _LOAD),
    'raw': CurlOption('', False, 'Do HTTP "raw"; no transfer decoding', "ignored", _OUTPUT),
    'referer': CurlOption('e', True, 'Referrer URL'),
    'remote-header-name': CurlOption('J', False, 'Use the header-provided filename', "ignored", _OUTPUT),
    'remote-name': CurlOption('O', False, 'Write output to a file named as the remote file', "ignored", _OUTPUT),
    'remote-name-all': CurlOption('', False, 'Use the remote file name for all URLs', "ignored", _OUTPUT),
    'remote-time': CurlOption('R', False, "Set the remote file's time on the local output", "ignored", _OUTPUT),
    'remove-on-error': CurlOption('', False, 'Remove output file on errors', "ignored", _OUTPUT),
    'request': CurlOption('X', True, 'Specify request method to use'),
    'request-target': CurlOption('', True, 'Specify the target for this request'),
    'resolve': CurlOption('', True, 'Resolve the host+port to this address'),
    'retry': CurlOption('', True, 'Retry request if transient problems occur'),
    'retry-all-errors': CurlOption('', False, 'Retry all errors (use with --retry)'),
    'retry-connrefused': CurlOption('', False, 'Retry on connection refused (use with --retry)'),
    'retry-delay': CurlOption('', True, 'Wait time between retries'),
    'retry-max-time': CurlOption('', True, 'Retry only within this period'),
    'sasl-authzid': CurlOption('', True, 'Identity for SASL PLAIN authentication', "unsupported", _AUTH),
    'sasl-ir': CurlOption('', False, 'Enable initial response in SASL authentication', "unsupported", _AUTH),
    'service-name': CurlOption('', True, 'SPNEGO service name', "unsupported", _AUTH),
    'show-error': CurlOption('S', False, 'Show error even when -s is used', "ignored", _OUTPUT),
    'silent': CurlOption('s', False, 'Silent mode', "ignored", _OUTPUT),
    'socks4': CurlOption('', True, 'SOCKS4 proxy on given host + port', "unsupported", _SOCKS),
    'socks4a': CurlOption('', True, 'SOCKS4a proxy on given host + port', "unsupported", _SOCKS),
    'socks5': CurlOption('', True, 'SOCKS5 proxy on given host + port', "unsupported", _SOCKS),
    'socks5-basic': CurlOption('', False, 'Enable username/password auth for SOCKS5 proxies', "unsupported", _SOCKS),
    'socks5-gssapi': CurlOption('', False, 'Enable GSS-API auth for SOCKS5 proxies', "unsupported", _SOCKS),
    'socks5-gssapi-nec': CurlOption('', False, 'Compatibility with NEC SOCKS5 server', "unsupported", _SOCKS),
    'socks5-gssapi-service': CurlOption('', True, 'SOCKS5 proxy service name for GSS-API', "unsupported", _SOCKS),
    'socks5-hostname': CurlOption('', True, 'SOCKS5 proxy, pass host name to proxy', "unsupported", _SOCKS),
    'speed-limit': CurlOption('Y', True, 'Stop transfers slower than this', "unsupported", _LOAD),
    'speed-time': CurlOption('y', True, "Trigger 'speed-limit' abort after this time", "unsupported", _LOAD),
    'ssl': CurlOption('', False, 'Try SSL/TLS', "unsupported", _TLSX),
    'ssl-allow-beast': CurlOption('', False, 'Allow security flaw to improve interop', "unsupported", _TLSX),
    'ssl-auto-client-cert': CurlOption('', False, 'Use auto client certificate (Schannel)', "unsupported", _TLSX),
    'ssl-no-revoke': CurlOption('', False, 'Disable cert revocation checks (Schannel)', "unsupported", _TLSX),
    'ssl-reqd': CurlOption('', False, 'Require SSL/TLS', "unsupported", _TLSX),
    'ssl-revoke-best-effort': CurlOption('', False, 'Ignore missing/offline cert CRL dist points', "unsupported", _TLSX),
    'sslv2': CurlOption('2', False, 'Use SSLv2', "unsupported", _TLSV),
    'sslv3': CurlOption('3', False, 'Use SSLv3', "unsupported", _TLSV),
    'stderr': CurlOption('', True, 'Where to redirect stderr', "ignored", _OUTPUT),
    'styled-output': CurlOption('', False, 'Enable styled output for HTTP headers', "ignored", _OUTPUT),
    'suppress-connect-headers': CurlOption('', False, 'Suppress proxy CONNECT response headers', "ignored", _OUTPUT),
    'tcp-fastopen': CurlOption('', False, 'Use TCP Fast Open', "ignored", _TCP),
    'tcp-nodelay': CurlOption('', False, 'Use the TCP_NODELAY option', "ignored", _TCP),
    'telnet-option': CurlOption('t', True, 'Set telnet option', "unsupported", _PROTO),
    'tftp-blksize': CurlOption('', True, 'Set TFTP BLKSIZE option', "unsupported", _PROTO),
    'tftp-no-options': CurlOption('', False, 'Do not send any TFTP options', "unsupported", _PROTO),
    'time-cond': CurlOption('z', True, 'Transfer based on a time condition', "unsupported", "write the header yourself: -H 'If-Modified-Since: <date>'"),
    'tls-max': CurlOption('', True, 'Set maximum allowed TLS version'),
    'tls13-ciphers': CurlOption('', True, 'TLS 1.3 cipher suites to use', "unsupported", _TLSX),
    'tlsauthtype': CurlOption('', True, 'TLS authentication type', "unsupported", _TLSX),
    'tlspassword': CurlOption('', True, 'TLS password', "unsupported", _TLSX),
    'tlsuser': CurlOption('', True, 'TLS user name', "unsupported", _TLSX),
    'tlsv1': CurlOption('1', False, 'Use TLSv1.0 or greater'),
    'tlsv1.0': CurlOption('', False, 'Use TLSv1.0 or greater'),
    'tlsv1.1': CurlOption('', False, 'Use TLSv1.1 or greater'),
    'tlsv1.2': CurlOption('', False, 'Use TLSv1.2 or greater'),
    'tlsv1.3': CurlOption('', False, 'Use TLSv1.3 or greater'),
    'tr-encoding': CurlOption('', False, 'Request compressed transfer encoding', "unsupported", 'a compressed transfer encoding is not supported; use --compressed'),
    'trace': CurlOption('', True, 'Write a debug trace to FILE', "ignored", _OUTPUT),
    'trace-ascii': CurlOption('', True, 'Like --trace, but without hex output', "ignored", _OUTPUT),
    'trace-time': CurlOption('', False, 'Add time stamps to trace/verbose output', "ignored", _OUTPUT),
    'unix-socket': CurlOption('', True, 'Connect through this Unix domain socket'),
    'upload-file': CurlOption('T', True, 'Transfer local FILE to destination'),
    'url': CurlOption('', True, 'URL to work with'),
    'url-query': CurlOption('', True, 'Add a URL query part'),
    'use-ascii': CurlOption('B', False, 'Use ASCII/text transfer', "unsupported", _PROTO),
    'user': CurlOption('u', True, 'Server user and password'),
    'user-agent': CurlOption('A', True, 'Send User-Agent <name> to server'),
    'verbose': CurlOption('v', False, 'Make the operation more talkative', "ignored", _OUTPUT),
    'version': CurlOption('V', False, 'Show version number and quit', "unsupported", _TOOL),
    'write-out': CurlOption('w', True, 'Use output FORMAT after completion', "ignored", _OUTPUT),
    'xattr': CurlOption('', False, 'Store metadata in extended file attributes', "ignored", _OUTPUT),
}

#: short letter -> long name.
SHORT: dict[str, str] = {o.short: name for name, o in OPTIONS.items() if o.short}


def expand(prefix: str) -> list[str]:
    """The long names ``prefix`` stands for: itself, or every name it abbreviates (curl
    accepts an unambiguous prefix: ``--sil`` is ``--silent``)."""
    if prefix in OPTIONS:
        return [prefix]
    return [name for name in OPTIONS if name.startswith(prefix)]
