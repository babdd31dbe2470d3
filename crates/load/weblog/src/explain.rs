//! What IIS status/sub-status codes, Win32 status codes and HTTP.sys HTTPERR reason phrases
//! mean (IIS "HTTP status code in IIS 7 and later", Win32 system error codes, and
//! "Types of errors logged by the HTTP Server API"; see anchors.md §5).

/// What each documented IIS status.sub-status means: `((status, substatus), meaning)`.
pub const STATUS_EXACT: &[((u16, u32), &str)] = &[
    ((400, 1), "Invalid Destination header"),
    ((400, 2), "Invalid Depth header"),
    ((400, 3), "Invalid If header"),
    ((400, 4), "Invalid Overwrite header"),
    ((400, 5), "Invalid Translate header"),
    ((400, 6), "Invalid request body"),
    ((400, 7), "Invalid Content-Length"),
    ((400, 8), "Invalid Timeout"),
    ((400, 9), "Invalid lock token"),
    ((400, 10), "Invalid X-Forwarded-For header"),
    ((400, 11), "Invalid WebSocket request"),
    ((400, 601), "Bad client request (ARR)"),
    ((400, 602), "Invalid time format (ARR)"),
    ((400, 603), "Parse range error (ARR)"),
    ((400, 604), "Client gone (ARR)"),
    ((400, 605), "Maximum number of forwards (ARR)"),
    ((400, 606), "Asynchronous competition error (ARR)"),
    ((401, 1), "Logon failed (bad credentials)"),
    ((401, 2), "Logon failed due to server configuration (no authentication method matched; normal first leg of NTLM/Negotiate)"),
    ((401, 3), "Unauthorized due to ACL on resource"),
    ((401, 4), "Authorization failed by filter"),
    ((401, 5), "Authorization failed by ISAPI/CGI application"),
    ((403, 1), "Execute access forbidden"),
    ((403, 2), "Read access forbidden"),
    ((403, 3), "Write access forbidden"),
    ((403, 4), "SSL required"),
    ((403, 5), "SSL 128 required"),
    ((403, 6), "IP address rejected"),
    ((403, 7), "Client certificate required"),
    ((403, 8), "Site access denied (DNS name rejected)"),
    ((403, 9), "Too many clients are trying to connect"),
    ((403, 10), "Web server configured to deny Execute access"),
    ((403, 11), "Password has been changed"),
    ((403, 12), "Mapper denied access"),
    ((403, 13), "Client certificate revoked"),
    ((403, 14), "Directory listing denied"),
    ((403, 15), "Client access licenses exceeded"),
    ((403, 16), "Client certificate is untrusted or invalid"),
    ((403, 17), "Client certificate has expired or is not yet valid"),
    ((403, 18), "Cannot execute requested URL in the current application pool"),
    ((403, 19), "Cannot execute CGI applications for the client in this application pool"),
    ((403, 20), "Passport logon failed"),
    ((403, 21), "Source access denied"),
    ((403, 22), "Infinite depth is denied"),
    ((403, 501), "Too many concurrent requests from the same client IP (Dynamic IP Restrictions)"),
    ((403, 502), "Too many requests from the same client IP within the time limit (Dynamic IP Restrictions)"),
    ((403, 503), "IP address denied (IP restrictions)"),
    ((403, 504), "Host name denied (IP restrictions)"),
    ((404, 0), "Not found"),
    ((404, 1), "Site not found (no site bound to this IP/port/host header)"),
    ((404, 2), "ISAPI or CGI restriction (the handler's extension is not allowed)"),
    ((404, 3), "MIME type restriction (no MIME map for the extension)"),
    ((404, 4), "No handler configured"),
    ((404, 5), "Denied by request filtering: URL sequence denied"),
    ((404, 6), "Denied by request filtering: verb denied"),
    ((404, 7), "Denied by request filtering: file extension denied"),
    ((404, 8), "Denied by request filtering: hidden namespace (e.g. bin, App_Data)"),
    ((404, 9), "File attribute hidden"),
    ((404, 10), "Denied by request filtering: request header too long"),
    ((404, 11), "Denied by request filtering: URL contains a double escape sequence"),
    ((404, 12), "Denied by request filtering: URL contains high-bit characters"),
    ((404, 13), "Denied by request filtering: content length too large"),
    ((404, 14), "Denied by request filtering: URL too long"),
    ((404, 15), "Denied by request filtering: query string too long"),
    ((404, 16), "DAV request sent to the static file handler"),
    ((404, 17), "Dynamic content mapped to the static file handler via a wildcard MIME mapping"),
    ((404, 18), "Denied by request filtering: query string sequence denied"),
    ((404, 19), "Denied by request filtering rule"),
    ((404, 20), "Denied by request filtering: too many URL segments"),
    ((405, 0), "Method not allowed"),
    ((406, 0), "Client browser does not accept the MIME type of the requested page"),
    ((412, 0), "Precondition failed"),
    ((500, 0), "Module or ISAPI error occurred (the application failed the request)"),
    ((500, 11), "Application is shutting down on the web server"),
    ((500, 12), "Application is busy restarting on the web server"),
    ((500, 13), "Web server is too busy"),
    ((500, 15), "Direct requests for Global.asax are not allowed"),
    ((500, 19), "Configuration data is invalid (web.config/applicationHost.config cannot be read or parsed)"),
    ((500, 21), "Module not recognized"),
    ((500, 22), "An ASP.NET httpModules configuration does not apply in Managed Pipeline mode"),
    ((500, 23), "An ASP.NET httpHandlers configuration does not apply in Managed Pipeline mode"),
    ((500, 24), "An ASP.NET impersonation configuration does not apply in Managed Pipeline mode"),
    ((500, 50), "URL Rewrite error during RQ_BEGIN_REQUEST (inbound rule)"),
    ((500, 51), "URL Rewrite error during GL_PRE_BEGIN_REQUEST (global rule)"),
    ((500, 52), "URL Rewrite error during RQ_SEND_RESPONSE (outbound rule)"),
    ((500, 53), "URL Rewrite error during RQ_RELEASE_REQUEST_STATE (outbound rule before output cache)"),
    ((500, 100), "Internal ASP error"),
    ((502, 1), "CGI application timeout"),
    ((502, 2), "Bad gateway: premature exit (the CGI application did not return a complete set of headers)"),
    ((502, 3), "Bad gateway: forwarder connection error (ARR, or the ASP.NET Core module could not reach its backend)"),
    ((502, 4), "Bad gateway: no server (ARR)"),
    ((502, 5), "ASP.NET Core Module: process failure (the app's process failed to start or crashed on startup)"),
    ((503, 0), "Application pool unavailable (stopped, or disabled by rapid-fail protection)"),
    ((503, 2), "Concurrent request limit exceeded (appConcurrentRequestLimit)"),
    ((503, 3), "ASP.NET queue full"),
    ((503, 4), "FastCGI queue full"),
];

/// What each plain HTTP status means, whatever its sub-status: `(status, meaning)`.
pub const STATUS_PLAIN: &[(u16, &str)] = &[
    (200, "OK"),
    (201, "Created"),
    (204, "No content"),
    (206, "Partial content"),
    (301, "Moved permanently"),
    (302, "Found (redirect)"),
    (304, "Not modified"),
    (307, "Temporary redirect"),
    (400, "Bad request"),
    (401, "Access denied (authentication required)"),
    (403, "Forbidden"),
    (404, "Not found"),
    (405, "Method not allowed"),
    (406, "Not acceptable"),
    (408, "Request timeout"),
    (412, "Precondition failed"),
    (413, "Request entity too large"),
    (414, "Request URL too long"),
    (415, "Unsupported media type"),
    (500, "Internal server error"),
    (501, "Not implemented"),
    (502, "Bad gateway"),
    (503, "Service unavailable"),
    (504, "Gateway timeout"),
    (505, "HTTP version not supported"),
];

/// What each known `sc-win32-status` value means: `(code, meaning)`.
pub const WIN32: &[(u32, &str)] = &[
    (0, "success"),
    (1, "ERROR_INVALID_FUNCTION: incorrect function"),
    (2, "ERROR_FILE_NOT_FOUND: the file does not exist"),
    (3, "ERROR_PATH_NOT_FOUND: the path does not exist"),
    (5, "ERROR_ACCESS_DENIED: access denied (NTFS permissions, app pool identity)"),
    (6, "ERROR_INVALID_HANDLE"),
    (8, "ERROR_NOT_ENOUGH_MEMORY"),
    (13, "ERROR_INVALID_DATA"),
    (32, "ERROR_SHARING_VIOLATION: the file is in use by another process"),
    (50, "ERROR_NOT_SUPPORTED"),
    (53, "ERROR_BAD_NETPATH: network path not found"),
    (59, "ERROR_UNEXP_NET_ERR: an unexpected network error occurred"),
    (64, "ERROR_NETNAME_DELETED: the network name is no longer available — the client disconnected before the response was sent"),
    (87, "ERROR_INVALID_PARAMETER"),
    (121, "ERROR_SEM_TIMEOUT: the semaphore timeout period expired — network send timed out (slow or vanished client)"),
    (122, "ERROR_INSUFFICIENT_BUFFER"),
    (234, "ERROR_MORE_DATA"),
    (995, "ERROR_OPERATION_ABORTED: the I/O was aborted because of a thread exit or an application request (request cancelled: client gone, or worker process shutting down/recycling)"),
    (1168, "ERROR_NOT_FOUND: element not found"),
    (1229, "ERROR_CONNECTION_INVALID: an operation was attempted on a nonexistent network connection (already closed)"),
    (1236, "ERROR_CONNECTION_ABORTED: the network connection was aborted by the local system (server closed it: timeout, recycle, or the worker process went away)"),
    (1460, "ERROR_TIMEOUT: the operation returned because the timeout period expired"),
    (1726, "RPC_S_CALL_FAILED: the remote procedure call failed"),
    (10053, "WSAECONNABORTED: the software in the host aborted the connection"),
    (10054, "WSAECONNRESET: the connection was reset by the peer"),
    (10060, "WSAETIMEDOUT: the connection attempt timed out"),
    (10061, "WSAECONNREFUSED: the connection was refused"),
    (2_148_074_252, "SEC_E_LOGON_DENIED (0x8009030C): the logon attempt failed"),
    (2_148_074_254, "SEC_E_NO_CREDENTIALS (0x8009030E): no credentials are available (normal first leg of NTLM/Negotiate 401.2)"),
];

/// Explains an IIS status + sub-status (`sc-status`.`sc-substatus`). Falls back to the plain
/// HTTP meaning of `status` when the sub-status is 0 or undocumented.
pub fn explain_status(status: u16, substatus: u32) -> Option<&'static str> {
    STATUS_EXACT
        .iter()
        .find(|(k, _)| *k == (status, substatus))
        .map(|(_, m)| *m)
        .or_else(|| {
            STATUS_PLAIN
                .iter()
                .find(|(s, _)| *s == status)
                .map(|(_, m)| *m)
        })
}

/// Explains an `sc-win32-status` value (Win32 error, or a security-package HRESULT as IIS
/// logs it in decimal).
pub fn explain_win32(code: u32) -> Option<&'static str> {
    WIN32.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

/// Every HTTPERR reason phrase (`s-reason`) and what it means.
pub const REASONS: &[(&str, &str)] = &[
    ("AppOffline", "503: application errors caused the application to be taken offline (rapid-fail protection disabled the application pool)"),
    ("AppPoolTimer", "503: the application pool's process is too busy to handle the request"),
    ("AppShutdown", "503: the application shut down automatically in response to administrator policy"),
    ("BadRequest", "400: a parse error occurred while processing the request"),
    ("Client_Reset", "the client closed the connection before the request was assigned to a worker process"),
    ("Connection_Abandoned_By_AppPool", "a worker process from the application pool quit unexpectedly (crashed) or orphaned a pending request by closing its handle"),
    ("Connection_Abandoned_By_ReqQueue", "a worker process from the application pool quit unexpectedly or orphaned a pending request by closing its handle (Vista/2008 and later)"),
    ("Connection_Dropped", "the connection was closed before the server could send its final response packet (client went away)"),
    ("Connection_Dropped_List_Full", "the list of dropped client connections is full"),
    ("ConnLimit", "503: the site-level connection limit was reached"),
    ("Connections_Refused", "kernel non-paged pool dropped below 20 MB and HTTP.sys stopped accepting new connections"),
    ("Disabled", "503: an administrator has taken the application offline"),
    ("EntityTooLarge", "an entity exceeded the maximum permitted size"),
    ("FieldLength", "a field length limit was exceeded"),
    ("Forbidden", "a forbidden element or sequence was encountered while parsing"),
    ("Header", "a parse error occurred in a header"),
    ("Hostname", "a parse error occurred while processing the Host name"),
    ("Internal", "500: an internal server error occurred"),
    ("Invalid_CR/LF", "an illegal carriage return or line feed occurred"),
    ("LengthRequired", "a required length value was missing"),
    ("N/A", "503: an internal error occurred (e.g. a memory allocation failure or URL reservation conflict)"),
    ("N/I", "501 not implemented, or 503 because of an unknown transfer encoding"),
    ("Number", "a parse error occurred while processing a number"),
    ("Precondition", "a required precondition was missing"),
    ("QueueFull", "503: the application request queue is full (the pool cannot keep up, or is hung or crashing)"),
    ("RequestLength", "a request length limit was exceeded"),
    ("Timer_AppPool", "the request waited too long in the application pool queue for a worker process to take it (ConnectionTimeout, default 2 minutes)"),
    ("Timer_ConnectionIdle", "the connection expired and remained idle (ConnectionTimeout, default 2 minutes) — normal for keep-alive connections"),
    ("Timer_EntityBody", "the connection expired before the request entity body arrived (default 2 minutes)"),
    ("Timer_HeaderWait", "header parsing took longer than the limit (default 2 minutes)"),
    ("Timer_MinBytesPerSecond", "the client was not receiving the response at a reasonable speed (below the minimum send rate, ~150 bytes/s by default)"),
    ("Timer_ReqQueue", "the request waited too long in an application pool queue for the server application to dequeue it (ConnectionTimeout)"),
    ("Timer_Response", "reserved; not currently used"),
    ("Timer_SslRenegotiation", "SSL renegotiation between client and server took longer than the timeout (default 2 minutes)"),
    ("URL", "a parse error occurred while processing a URL"),
    ("URL_Length", "a URL exceeded the maximum permitted size"),
    ("Verb", "a parse error occurred while processing a verb"),
    ("Version_N/S", "505: HTTP version not supported"),
];

/// Explains an HTTPERR `s-reason` phrase (case-insensitive).
pub fn explain_reason(reason: &str) -> Option<&'static str> {
    REASONS
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(reason.trim()))
        .map(|(_, m)| *m)
}

/// Whether an HTTPERR reason points at the application pool failing (crash, rapid-fail,
/// hang/overload) rather than at the client or the request.
pub fn reason_implicates_app_pool(reason: &str) -> bool {
    [
        "AppOffline",
        "AppPoolTimer",
        "Connection_Abandoned_By_AppPool",
        "Connection_Abandoned_By_ReqQueue",
        "QueueFull",
        "Timer_AppPool",
        "Timer_ReqQueue",
    ]
    .iter()
    .any(|r| r.eq_ignore_ascii_case(reason.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each code is in its table once (a `match` would have warned of an unreachable arm).
    #[test]
    fn keys_are_unique() {
        fn unique<K: Ord + Copy, V>(t: &[(K, V)]) -> bool {
            let keys: std::collections::BTreeSet<K> = t.iter().map(|(k, _)| *k).collect();
            keys.len() == t.len()
        }
        assert!(unique(STATUS_EXACT) && unique(STATUS_PLAIN) && unique(WIN32));
        assert!(unique(REASONS));
    }

    #[test]
    fn tables() {
        assert_eq!(
            explain_status(503, 0),
            Some("Application pool unavailable (stopped, or disabled by rapid-fail protection)")
        );
        assert!(explain_status(404, 3).unwrap().contains("MIME"));
        assert!(explain_status(500, 19).unwrap().contains("Configuration"));
        assert_eq!(explain_status(200, 0), Some("OK"));
        assert_eq!(explain_status(404, 999), Some("Not found"));
        assert_eq!(explain_status(999, 0), None);
        assert!(explain_win32(64).unwrap().contains("client disconnected"));
        assert!(explain_win32(1236)
            .unwrap()
            .contains("aborted by the local system"));
        assert_eq!(explain_win32(424242), None);
        for r in [
            "AppOffline",
            "AppPoolTimer",
            "AppShutdown",
            "BadRequest",
            "Client_Reset",
            "Connection_Abandoned_By_AppPool",
            "Connection_Abandoned_By_ReqQueue",
            "Connection_Dropped",
            "ConnLimit",
            "Disabled",
            "EntityTooLarge",
            "FieldLength",
            "Forbidden",
            "Header",
            "Hostname",
            "Internal",
            "Invalid_CR/LF",
            "LengthRequired",
            "N/A",
            "N/I",
            "Number",
            "Precondition",
            "QueueFull",
            "RequestLength",
            "Timer_AppPool",
            "Timer_ConnectionIdle",
            "Timer_EntityBody",
            "Timer_HeaderWait",
            "Timer_MinBytesPerSecond",
            "Timer_ReqQueue",
            "Timer_Response",
            "URL",
            "URL_Length",
            "Verb",
            "Version_N/S",
        ] {
            assert!(explain_reason(r).is_some(), "{r}");
        }
        assert!(reason_implicates_app_pool("appoffline"));
        assert!(!reason_implicates_app_pool("Timer_ConnectionIdle"));
    }
}
