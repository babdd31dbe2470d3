//! What IIS status.sub-status codes, Win32 status codes and HTTP.sys HTTPERR reason phrases
//! mean, in the report's language. The web-log reader's English table is the JSON's `meaning`
//! (and the English report's); the Korean here is keyed by the code itself, never by the English
//! text, in the terms of Microsoft's Korean documentation where it has them ("IIS 7.0 이상
//! 버전의 HTTP 상태 코드", the system error codes, "HTTP Server API에서 기록되는 오류 유형").

use super::Lang;

/// The English meaning the investigation records for a code it has no explanation of.
const UNKNOWN_EN: &str = "no explanation known";

/// The meaning of one code for the report's Meaning column: `kind` is the JSON's
/// (`http_status`, `win32_status`, `httperr_reason`), `code` as the JSON spells it (`503.0`,
/// `64`, `QueueFull`), `english` the JSON's meaning. English keeps `english` as it is; Korean
/// looks the code up, and falls back to `english` only for a code the Korean table lacks.
pub fn code_meaning(kind: &str, code: &str, english: &str, lang: Lang) -> String {
    match lang {
        Lang::En => english.to_string(),
        Lang::Ko => match korean(kind, code) {
            Some(ko) => ko.to_string(),
            None if english == UNKNOWN_EN => "알려진 설명 없음".to_string(),
            None => english.to_string(),
        },
    }
}

/// The Korean meaning of a code, if the table has it.
fn korean(kind: &str, code: &str) -> Option<&'static str> {
    match kind {
        "http_status" => {
            let (status, sub) = code.split_once('.').unwrap_or((code, "0"));
            status_ko(status.parse().ok()?, sub.parse().ok()?)
        }
        "win32_status" => {
            let code: u32 = code.parse().ok()?;
            WIN32_KO.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
        }
        "httperr_reason" => REASONS_KO
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(code.trim()))
            .map(|(_, m)| *m),
        _ => None,
    }
}

/// Like the reader's `explain_status`: the sub-status's meaning, else the plain status's.
fn status_ko(status: u16, substatus: u32) -> Option<&'static str> {
    STATUS_EXACT_KO
        .iter()
        .find(|(k, _)| *k == (status, substatus))
        .map(|(_, m)| *m)
        .or_else(|| {
            STATUS_PLAIN_KO
                .iter()
                .find(|(s, _)| *s == status)
                .map(|(_, m)| *m)
        })
}

/// IIS status.sub-status → Korean.
const STATUS_EXACT_KO: &[((u16, u32), &str)] = &[
    ((400, 1), "잘못된 Destination 헤더"),
    ((400, 2), "잘못된 Depth 헤더"),
    ((400, 3), "잘못된 If 헤더"),
    ((400, 4), "잘못된 Overwrite 헤더"),
    ((400, 5), "잘못된 Translate 헤더"),
    ((400, 6), "잘못된 요청 본문"),
    ((400, 7), "잘못된 Content-Length"),
    ((400, 8), "잘못된 시간 제한"),
    ((400, 9), "잘못된 잠금 토큰"),
    ((400, 10), "잘못된 X-Forwarded-For 헤더"),
    ((400, 11), "잘못된 WebSocket 요청"),
    ((400, 601), "잘못된 클라이언트 요청 (ARR)"),
    ((400, 602), "잘못된 시간 형식 (ARR)"),
    ((400, 603), "범위 구문 분석 오류 (ARR)"),
    ((400, 604), "클라이언트 연결 끊김 (ARR)"),
    ((400, 605), "최대 전달 횟수 초과 (ARR)"),
    ((400, 606), "비동기 경합 오류 (ARR)"),
    ((401, 1), "로그온 실패 (잘못된 자격 증명)"),
    ((401, 2), "서버 구성으로 인한 로그온 실패 (일치하는 인증 방법 없음; NTLM/Negotiate의 정상적인 첫 단계)"),
    ((401, 3), "리소스의 ACL 때문에 권한이 없습니다"),
    ((401, 4), "필터에서 권한 부여에 실패했습니다"),
    ((401, 5), "ISAPI/CGI 애플리케이션에서 권한 부여에 실패했습니다"),
    ((403, 1), "실행 액세스가 금지되었습니다"),
    ((403, 2), "읽기 액세스가 금지되었습니다"),
    ((403, 3), "쓰기 액세스가 금지되었습니다"),
    ((403, 4), "SSL이 필요합니다"),
    ((403, 5), "SSL 128이 필요합니다"),
    ((403, 6), "IP 주소가 거부되었습니다"),
    ((403, 7), "클라이언트 인증서가 필요합니다"),
    ((403, 8), "사이트 액세스가 거부되었습니다 (DNS 이름 거부)"),
    ((403, 9), "연결하려는 클라이언트가 너무 많습니다"),
    ((403, 10), "웹 서버가 실행 액세스를 거부하도록 구성되어 있습니다"),
    ((403, 11), "암호가 변경되었습니다"),
    ((403, 12), "매퍼가 액세스를 거부했습니다"),
    ((403, 13), "클라이언트 인증서가 해지되었습니다"),
    ((403, 14), "디렉터리 목록이 거부되었습니다"),
    ((403, 15), "클라이언트 액세스 라이선스를 초과했습니다"),
    ((403, 16), "클라이언트 인증서를 신뢰할 수 없거나 인증서가 잘못되었습니다"),
    ((403, 17), "클라이언트 인증서가 만료되었거나 아직 유효하지 않습니다"),
    ((403, 18), "현재 응용 프로그램 풀에서 요청한 URL을 실행할 수 없습니다"),
    ((403, 19), "이 응용 프로그램 풀에서는 클라이언트의 CGI 애플리케이션을 실행할 수 없습니다"),
    ((403, 20), "Passport 로그온에 실패했습니다"),
    ((403, 21), "원본 액세스가 거부되었습니다"),
    ((403, 22), "무한 깊이가 거부되었습니다"),
    ((403, 501), "같은 클라이언트 IP의 동시 요청이 너무 많습니다 (동적 IP 제한)"),
    ((403, 502), "제한 시간 안에 같은 클라이언트 IP에서 온 요청이 너무 많습니다 (동적 IP 제한)"),
    ((403, 503), "IP 주소가 거부되었습니다 (IP 제한)"),
    ((403, 504), "호스트 이름이 거부되었습니다 (IP 제한)"),
    ((404, 0), "찾을 수 없음"),
    ((404, 1), "사이트를 찾을 수 없습니다 (이 IP/포트/호스트 헤더에 바인딩된 사이트 없음)"),
    ((404, 2), "ISAPI 또는 CGI 제한 (처리기의 확장이 허용되지 않음)"),
    ((404, 3), "MIME 형식 제한 (확장명에 대한 MIME 매핑 없음)"),
    ((404, 4), "구성된 처리기가 없습니다"),
    ((404, 5), "요청 필터링에서 거부됨: URL 시퀀스 거부"),
    ((404, 6), "요청 필터링에서 거부됨: 동사 거부"),
    ((404, 7), "요청 필터링에서 거부됨: 파일 확장명 거부"),
    ((404, 8), "요청 필터링에서 거부됨: 숨겨진 네임스페이스 (예: bin, App_Data)"),
    ((404, 9), "파일 특성이 숨김입니다"),
    ((404, 10), "요청 필터링에서 거부됨: 요청 헤더가 너무 깁니다"),
    ((404, 11), "요청 필터링에서 거부됨: URL에 이중 이스케이프 시퀀스가 있습니다"),
    ((404, 12), "요청 필터링에서 거부됨: URL에 상위 비트 문자가 있습니다"),
    ((404, 13), "요청 필터링에서 거부됨: 콘텐츠 길이가 너무 깁니다"),
    ((404, 14), "요청 필터링에서 거부됨: URL이 너무 깁니다"),
    ((404, 15), "요청 필터링에서 거부됨: 쿼리 문자열이 너무 깁니다"),
    ((404, 16), "DAV 요청이 정적 파일 처리기로 전송되었습니다"),
    ((404, 17), "와일드카드 MIME 매핑 때문에 동적 콘텐츠가 정적 파일 처리기에 매핑되었습니다"),
    ((404, 18), "요청 필터링에서 거부됨: 쿼리 문자열 시퀀스 거부"),
    ((404, 19), "요청 필터링 규칙에 의해 거부됨"),
    ((404, 20), "요청 필터링에서 거부됨: URL 세그먼트가 너무 많습니다"),
    ((405, 0), "허용되지 않는 메서드"),
    ((406, 0), "클라이언트 브라우저가 요청한 페이지의 MIME 형식을 허용하지 않습니다"),
    ((412, 0), "전제 조건 실패"),
    ((500, 0), "모듈 또는 ISAPI 오류가 발생했습니다 (애플리케이션이 요청을 실패 처리함)"),
    ((500, 11), "웹 서버에서 애플리케이션이 종료되는 중입니다"),
    ((500, 12), "웹 서버에서 애플리케이션이 다시 시작되는 중입니다"),
    ((500, 13), "웹 서버가 너무 바쁩니다"),
    ((500, 15), "Global.asax에 대한 직접 요청은 허용되지 않습니다"),
    ((500, 19), "구성 데이터가 잘못되었습니다 (web.config/applicationHost.config를 읽거나 구문 분석할 수 없음)"),
    ((500, 21), "모듈을 인식할 수 없습니다"),
    ((500, 22), "ASP.NET httpModules 구성은 관리되는 파이프라인 모드에 적용되지 않습니다"),
    ((500, 23), "ASP.NET httpHandlers 구성은 관리되는 파이프라인 모드에 적용되지 않습니다"),
    ((500, 24), "ASP.NET 가장(impersonation) 구성은 관리되는 파이프라인 모드에 적용되지 않습니다"),
    ((500, 50), "RQ_BEGIN_REQUEST 단계의 URL 재작성 오류 (인바운드 규칙)"),
    ((500, 51), "GL_PRE_BEGIN_REQUEST 단계의 URL 재작성 오류 (전역 규칙)"),
    ((500, 52), "RQ_SEND_RESPONSE 단계의 URL 재작성 오류 (아웃바운드 규칙)"),
    ((500, 53), "RQ_RELEASE_REQUEST_STATE 단계의 URL 재작성 오류 (출력 캐시 앞의 아웃바운드 규칙)"),
    ((500, 100), "내부 ASP 오류"),
    ((502, 1), "CGI 애플리케이션 시간 제한 초과"),
    ((502, 2), "잘못된 게이트웨이: 조기 종료 (CGI 애플리케이션이 헤더를 모두 반환하지 않음)"),
    ((502, 3), "잘못된 게이트웨이: 전달자 연결 오류 (ARR, 또는 ASP.NET Core 모듈이 백엔드에 연결하지 못함)"),
    ((502, 4), "잘못된 게이트웨이: 서버 없음 (ARR)"),
    ((502, 5), "ASP.NET Core 모듈: 프로세스 실패 (앱 프로세스가 시작하지 못했거나 시작 중에 충돌함)"),
    ((503, 0), "응용 프로그램 풀을 사용할 수 없음 (중지되었거나, 빠른 장애 방지로 사용 중지됨)"),
    ((503, 2), "동시 요청 제한 초과 (appConcurrentRequestLimit)"),
    ((503, 3), "ASP.NET 큐가 가득 찼습니다"),
    ((503, 4), "FastCGI 큐가 가득 찼습니다"),
];

/// Plain HTTP status → Korean.
const STATUS_PLAIN_KO: &[(u16, &str)] = &[
    (200, "정상"),
    (201, "만들어짐"),
    (204, "콘텐츠 없음"),
    (206, "부분 콘텐츠"),
    (301, "영구적으로 이동됨"),
    (302, "찾음 (리디렉션)"),
    (304, "수정되지 않음"),
    (307, "임시 리디렉션"),
    (400, "잘못된 요청"),
    (401, "액세스 거부됨 (인증 필요)"),
    (403, "금지됨"),
    (404, "찾을 수 없음"),
    (405, "허용되지 않는 메서드"),
    (406, "허용되지 않음"),
    (408, "요청 시간 초과"),
    (412, "전제 조건 실패"),
    (413, "요청 엔터티가 너무 큼"),
    (414, "요청 URL이 너무 김"),
    (415, "지원되지 않는 미디어 형식"),
    (500, "내부 서버 오류"),
    (501, "구현되지 않음"),
    (502, "잘못된 게이트웨이"),
    (503, "서비스를 사용할 수 없음"),
    (504, "게이트웨이 시간 초과"),
    (505, "지원되지 않는 HTTP 버전"),
];

/// `sc-win32-status` → Korean (the symbol kept, the message in Windows's Korean wording).
const WIN32_KO: &[(u32, &str)] = &[
    (0, "성공"),
    (1, "ERROR_INVALID_FUNCTION: 기능이 잘못되었습니다"),
    (2, "ERROR_FILE_NOT_FOUND: 파일이 없습니다"),
    (3, "ERROR_PATH_NOT_FOUND: 경로가 없습니다"),
    (5, "ERROR_ACCESS_DENIED: 액세스가 거부되었습니다 (NTFS 권한, 응용 프로그램 풀 ID)"),
    (6, "ERROR_INVALID_HANDLE: 핸들이 잘못되었습니다"),
    (8, "ERROR_NOT_ENOUGH_MEMORY: 메모리가 부족합니다"),
    (13, "ERROR_INVALID_DATA: 데이터가 잘못되었습니다"),
    (32, "ERROR_SHARING_VIOLATION: 다른 프로세스가 파일을 사용 중입니다"),
    (50, "ERROR_NOT_SUPPORTED: 요청이 지원되지 않습니다"),
    (53, "ERROR_BAD_NETPATH: 네트워크 경로를 찾을 수 없습니다"),
    (59, "ERROR_UNEXP_NET_ERR: 예기치 않은 네트워크 오류가 발생했습니다"),
    (64, "ERROR_NETNAME_DELETED: 지정된 네트워크 이름을 더 이상 사용할 수 없습니다 — 응답을 보내기 전에 클라이언트의 연결이 끊어졌습니다"),
    (87, "ERROR_INVALID_PARAMETER: 매개 변수가 틀립니다"),
    (121, "ERROR_SEM_TIMEOUT: 세마포 제한 시간이 만료되었습니다 — 네트워크 전송 시간 초과 (느리거나 사라진 클라이언트)"),
    (122, "ERROR_INSUFFICIENT_BUFFER: 데이터 영역이 너무 작습니다"),
    (234, "ERROR_MORE_DATA: 데이터가 더 있습니다"),
    (995, "ERROR_OPERATION_ABORTED: 스레드 종료 또는 애플리케이션 요청 때문에 I/O 작업이 취소되었습니다 (요청 취소: 클라이언트 연결 끊김, 또는 작업자 프로세스의 종료/재활용)"),
    (1168, "ERROR_NOT_FOUND: 요소를 찾을 수 없습니다"),
    (1229, "ERROR_CONNECTION_INVALID: 존재하지 않는 네트워크 연결에서 작업을 시도했습니다 (이미 닫힘)"),
    (1236, "ERROR_CONNECTION_ABORTED: 로컬 시스템이 네트워크 연결을 중단했습니다 (서버 쪽에서 닫음: 시간 제한, 재활용, 또는 작업자 프로세스가 사라짐)"),
    (1460, "ERROR_TIMEOUT: 제한 시간이 만료되어 작업이 반환되었습니다"),
    (1726, "RPC_S_CALL_FAILED: 원격 프로시저 호출이 실패했습니다"),
    (10053, "WSAECONNABORTED: 호스트 시스템의 소프트웨어가 연결을 중단했습니다"),
    (10054, "WSAECONNRESET: 원격 호스트가 연결을 강제로 끊었습니다"),
    (10060, "WSAETIMEDOUT: 연결 시도 시간이 초과되었습니다"),
    (10061, "WSAECONNREFUSED: 대상 컴퓨터가 연결을 거부했습니다"),
    (2_148_074_252, "SEC_E_LOGON_DENIED (0x8009030C): 로그온 시도가 실패했습니다"),
    (2_148_074_254, "SEC_E_NO_CREDENTIALS (0x8009030E): 사용할 수 있는 자격 증명이 없습니다 (NTLM/Negotiate 401.2의 정상적인 첫 단계)"),
];

/// HTTPERR `s-reason` → Korean.
const REASONS_KO: &[(&str, &str)] = &[
    ("AppOffline", "503: 애플리케이션 오류 때문에 애플리케이션이 오프라인 상태가 되었습니다 (빠른 장애 방지가 응용 프로그램 풀을 사용 중지함)"),
    ("AppPoolTimer", "503: 응용 프로그램 풀 프로세스가 너무 바빠 요청을 처리할 수 없습니다"),
    ("AppShutdown", "503: 관리자 정책에 따라 애플리케이션이 자동으로 종료되었습니다"),
    ("BadRequest", "400: 요청을 처리하는 중 구문 분석 오류가 발생했습니다"),
    ("Client_Reset", "요청이 작업자 프로세스에 할당되기 전에 클라이언트가 연결을 닫았습니다"),
    ("Connection_Abandoned_By_AppPool", "응용 프로그램 풀의 작업자 프로세스가 예기치 않게 종료(충돌)되었거나 핸들을 닫아 보류 중인 요청을 분리했습니다"),
    ("Connection_Abandoned_By_ReqQueue", "응용 프로그램 풀의 작업자 프로세스가 예기치 않게 종료되었거나 핸들을 닫아 보류 중인 요청을 분리했습니다 (Vista/2008 이상)"),
    ("Connection_Dropped", "서버가 마지막 응답 패킷을 보내기 전에 연결이 닫혔습니다 (클라이언트가 떠남)"),
    ("Connection_Dropped_List_Full", "끊어진 클라이언트 연결 목록이 가득 찼습니다"),
    ("ConnLimit", "503: 사이트 수준 연결 제한에 도달했습니다"),
    ("Connections_Refused", "커널 비페이징 풀이 20MB 아래로 떨어져 HTTP.sys가 새 연결 수락을 중지했습니다"),
    ("Disabled", "503: 관리자가 애플리케이션을 오프라인으로 전환했습니다"),
    ("EntityTooLarge", "엔터티가 허용된 최대 크기를 초과했습니다"),
    ("FieldLength", "필드 길이 제한을 초과했습니다"),
    ("Forbidden", "구문 분석 중에 금지된 요소나 시퀀스가 발견되었습니다"),
    ("Header", "헤더에서 구문 분석 오류가 발생했습니다"),
    ("Hostname", "호스트 이름을 처리하는 중 구문 분석 오류가 발생했습니다"),
    ("Internal", "500: 내부 서버 오류가 발생했습니다"),
    ("Invalid_CR/LF", "잘못된 캐리지 리턴 또는 줄 바꿈이 있습니다"),
    ("LengthRequired", "필요한 길이 값이 없습니다"),
    ("N/A", "503: 내부 오류가 발생했습니다 (예: 메모리 할당 실패 또는 URL 예약 충돌)"),
    ("N/I", "501 구현되지 않음, 또는 알 수 없는 전송 인코딩 때문에 503"),
    ("Number", "숫자를 처리하는 중 구문 분석 오류가 발생했습니다"),
    ("Precondition", "필요한 전제 조건이 없습니다"),
    ("QueueFull", "503: 애플리케이션 요청 큐가 가득 찼습니다 (풀이 처리 속도를 따라가지 못하거나, 응답이 없거나 충돌하고 있음)"),
    ("RequestLength", "요청 길이 제한을 초과했습니다"),
    ("Timer_AppPool", "작업자 프로세스가 가져가기를 기다리며 요청이 응용 프로그램 풀 큐에서 너무 오래 대기했습니다 (ConnectionTimeout, 기본값 2분)"),
    ("Timer_ConnectionIdle", "연결 유휴 타이머 만료: 연결이 만료된 채 유휴 상태로 남았습니다 (ConnectionTimeout, 기본값 2분) — keep-alive 연결에서는 정상입니다"),
    ("Timer_EntityBody", "요청 엔터티 본문이 도착하기 전에 연결이 만료되었습니다 (기본값 2분)"),
    ("Timer_HeaderWait", "헤더 구문 분석이 제한 시간보다 오래 걸렸습니다 (기본값 2분)"),
    ("Timer_MinBytesPerSecond", "클라이언트가 적절한 속도로 응답을 받지 못했습니다 (최소 전송 속도 미만, 기본값 약 150바이트/초)"),
    ("Timer_ReqQueue", "서버 애플리케이션이 꺼내 가기를 기다리며 요청이 응용 프로그램 풀 큐에서 너무 오래 대기했습니다 (ConnectionTimeout)"),
    ("Timer_Response", "예약됨; 현재 사용되지 않습니다"),
    ("Timer_SslRenegotiation", "클라이언트와 서버 사이의 SSL 재협상이 제한 시간보다 오래 걸렸습니다 (기본값 2분)"),
    ("URL", "URL을 처리하는 중 구문 분석 오류가 발생했습니다"),
    ("URL_Length", "URL이 허용된 최대 크기를 초과했습니다"),
    ("Verb", "동사를 처리하는 중 구문 분석 오류가 발생했습니다"),
    ("Version_N/S", "505: 지원되지 않는 HTTP 버전"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the web-log reader explains, as the investigation spells it, with its English.
    fn loader_codes() -> Vec<(&'static str, String, &'static str)> {
        let status = coroner_weblog::STATUS_EXACT
            .iter()
            .map(|((s, sub), m)| ("http_status", format!("{s}.{sub}"), *m));
        let plain = coroner_weblog::STATUS_PLAIN
            .iter()
            .map(|(s, m)| ("http_status", format!("{s}.0"), *m));
        let win32 = coroner_weblog::WIN32
            .iter()
            .map(|(c, m)| ("win32_status", c.to_string(), *m));
        let reasons = coroner_weblog::REASONS
            .iter()
            .map(|(r, m)| ("httperr_reason", r.to_string(), *m));
        status.chain(plain).chain(win32).chain(reasons).collect()
    }

    #[test]
    fn every_explained_code_has_its_korean() {
        let codes = loader_codes();
        assert!(codes.len() > 150, "{}", codes.len());
        for (kind, code, english) in codes {
            let ko = korean(kind, &code).unwrap_or_else(|| panic!("no Korean for {kind} {code}"));
            assert_ne!(ko, english, "{kind} {code}");
            assert!(
                ko.chars().any(|c| ('가'..='힣').contains(&c)),
                "{kind} {code}: {ko}"
            );
            assert_eq!(code_meaning(kind, &code, english, Lang::Ko), ko);
            assert_eq!(code_meaning(kind, &code, english, Lang::En), english);
        }
    }

    /// The Korean table has no code the reader does not explain (a typo in a key would
    /// otherwise go unnoticed).
    #[test]
    fn korean_tables_hold_only_the_readers_codes() {
        for ((s, sub), _) in STATUS_EXACT_KO {
            assert!(coroner_weblog::STATUS_EXACT
                .iter()
                .any(|(k, _)| *k == (*s, *sub)));
        }
        for (s, _) in STATUS_PLAIN_KO {
            assert!(coroner_weblog::STATUS_PLAIN.iter().any(|(k, _)| k == s));
        }
        for (c, _) in WIN32_KO {
            assert!(coroner_weblog::WIN32.iter().any(|(k, _)| k == c), "{c}");
        }
        for (r, _) in REASONS_KO {
            assert!(coroner_weblog::REASONS.iter().any(|(k, _)| k == r), "{r}");
        }
    }

    #[test]
    fn lookups_follow_the_readers_rules() {
        // An undocumented sub-status falls back to the plain status, as the reader does.
        assert_eq!(korean("http_status", "404.999"), Some("찾을 수 없음"));
        assert_eq!(
            korean("http_status", "503.0"),
            Some("응용 프로그램 풀을 사용할 수 없음 (중지되었거나, 빠른 장애 방지로 사용 중지됨)")
        );
        assert_eq!(
            korean("httperr_reason", "queuefull"),
            korean("httperr_reason", "QueueFull")
        );
        assert_eq!(korean("http_status", "999.0"), None);
        assert_eq!(korean("win32_status", "424242"), None);
        assert_eq!(
            code_meaning("win32_status", "424242", UNKNOWN_EN, Lang::Ko),
            "알려진 설명 없음"
        );
        assert_eq!(
            code_meaning("win32_status", "424242", UNKNOWN_EN, Lang::En),
            UNKNOWN_EN
        );
    }
}
