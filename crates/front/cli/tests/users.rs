//! Admin users with passwords, with the real `coroner` binary: `coroner serve --add-user NAME`
//! reads the password from standard input and exits; the login form takes the user and the
//! password, gives a session whose pages carry its CSRF token, and refuses a wrong password and
//! an unknown user with the same answer.

#[path = "../../../serve/server/tests/common/mod.rs"]
mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `coroner serve --data DIR --add-user NAME` with `stdin`: (exit code, stdout, stderr).
fn add_user(data: &std::path::Path, name: &str, stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .args(["serve", "--data"])
        .arg(data)
        .args(["--add-user", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn serve(data: &std::path::Path) -> (Proc, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let p = Proc(child);
    for line in out.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("coroner: listening on http://") {
            let addr = rest.split('/').next().unwrap().parse().unwrap();
            std::thread::spawn(move || out.for_each(drop));
            return (p, addr);
        }
    }
    panic!("coroner serve ended without listening");
}

fn login(addr: std::net::SocketAddr, form: &str) -> Reply {
    let ct = [(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    request(addr, "POST", "/login", &ct, form.as_bytes(), false)
}

#[test]
fn a_user_added_from_stdin_logs_in_through_the_form_and_a_wrong_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, out, err) = add_user(&data, "ops", "long-secret-1\n");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("user ops"), "{out}");
    let (code, _, err) = add_user(&data, "empty", "\n");
    assert_eq!(code, 2);
    assert!(err.contains("password is empty"), "{err}");
    let (code, _, err) = add_user(&data, "two words", "x\n");
    assert_eq!(code, 2, "{err}");

    let (_server, addr) = serve(&data);
    let form = request(addr, "GET", "/login", &[], b"", false);
    assert_eq!(form.status, 200);
    assert!(form.text().contains("name=user") && form.text().contains("name=password"));

    let wrong = login(addr, "user=ops&password=long-secret-2");
    let unknown = login(addr, "user=nobody&password=long-secret-1");
    assert_eq!(wrong.status, 401);
    assert_eq!((unknown.status, unknown.text()), (401, wrong.text()));
    assert!(wrong.header("set-cookie").is_none());

    let r = login(addr, "user=ops&password=long-secret-1");
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/")),
        "{}",
        r.text()
    );
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap();
    let with_cookie = [("Cookie", cookie.to_string())];
    let page = request(addr, "GET", "/", &with_cookie, b"", false);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Top crashers"));

    // The page's logout form carries the session's CSRF token; a forged one is ignored.
    let text = page.text();
    let csrf = text
        .split("name=csrf value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("a CSRF token in the page");
    let post = [
        ("Cookie", cookie.to_string()),
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
    ];
    request(addr, "POST", "/logout", &post, b"csrf=forged", false);
    assert_eq!(
        request(addr, "GET", "/", &with_cookie, b"", false).status,
        200
    );
    let body = format!("csrf={csrf}");
    request(addr, "POST", "/logout", &post, body.as_bytes(), false);
    let after = request(addr, "GET", "/", &with_cookie, b"", false);
    assert_eq!(
        (after.status, after.header("location")),
        (303, Some("/login"))
    );
}
