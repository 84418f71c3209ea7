//! A real CalDAV server for the tests: Debian's `radicale`, started as a process on a free
//! loopback port with its collections in a temp dir and plain-text users. Where it is not
//! installed the tests that need it say so and pass, unless `TERMIN_TEST_REQUIRE_RADICALE=1`
//! (CI sets it).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::smtp::free_port;

pub struct Radicale {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

fn installed() -> bool {
    Command::new("radicale")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Radicale {
    /// A server on a free port with the given users (`name`, `password`), or `None` (with a
    /// note) where Radicale is missing.
    pub fn start(users: &[(&str, &str)]) -> Option<Self> {
        if !installed() {
            if std::env::var("TERMIN_TEST_REQUIRE_RADICALE").as_deref() == Ok("1") {
                panic!("TERMIN_TEST_REQUIRE_RADICALE=1 but radicale is not installed");
            }
            eprintln!("note: radicale is not installed; skipping a CalDAV test");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let lines: String = users.iter().map(|(u, p)| format!("{u}:{p}\n")).collect();
        std::fs::write(dir.path().join("users"), lines).unwrap();
        let port = free_port();
        std::fs::write(
            dir.path().join("config"),
            format!(
                "[server]\nhosts = 127.0.0.1:{port}\n\
                 [auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n\
                 [storage]\nfilesystem_folder = {store}\n\
                 [rights]\ntype = owner_only\n[web]\ntype = none\n[logging]\nlevel = warning\n",
                users = dir.path().join("users").display(),
                store = dir.path().join("collections").display(),
            ),
        )
        .unwrap();
        let mut me = Self {
            child: None,
            port,
            dir,
            http: reqwest::Client::new(),
        };
        me.resume();
        Some(me)
    }

    /// Starts the server again (after [`Radicale::stop`]) on the same port and collections.
    pub fn resume(&mut self) {
        let child = Command::new("radicale")
            .arg("--config")
            .arg(self.dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start radicale");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "radicale did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        user: (&str, &str),
        body: Option<String>,
    ) -> (u16, String) {
        let mut req = self
            .http
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.url().trim_end_matches('/')),
            )
            .basic_auth(user.0, Some(user.1));
        if let Some(b) = body {
            req = req
                .header("content-type", "text/calendar; charset=utf-8")
                .body(b);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Makes calendar `/{user}/{name}/`.
    pub async fn calendar(&self, user: (&str, &str), name: &str) {
        let (status, body) = self
            .send("MKCALENDAR", &format!("/{}/{name}/", user.0), user, None)
            .await;
        assert_eq!(status, 201, "MKCALENDAR: {body}");
    }

    /// Stores one event resource (a whole VCALENDAR) as `/{user}/{calendar}/{name}.ics`.
    pub async fn put(&self, user: (&str, &str), calendar: &str, name: &str, ics: &str) {
        let (status, body) = self
            .send(
                "PUT",
                &format!("/{}/{calendar}/{name}.ics", user.0),
                user,
                Some(ics.to_owned()),
            )
            .await;
        assert!(
            status == 201 || status == 204,
            "PUT {name}: {status} {body}"
        );
    }

    /// One resource's text, or `None` when it is not there.
    pub async fn get(&self, user: (&str, &str), calendar: &str, name: &str) -> Option<String> {
        let (status, body) = self
            .send(
                "GET",
                &format!("/{}/{calendar}/{name}.ics", user.0),
                user,
                None,
            )
            .await;
        match status {
            200 => Some(body),
            404 => None,
            other => panic!("GET {name}: {other} {body}"),
        }
    }

    /// The names of the resources in a calendar.
    pub async fn names(&self, user: (&str, &str), calendar: &str) -> Vec<String> {
        let path = format!("/{}/{calendar}/", user.0);
        let r = self
            .http
            .request(
                Method::from_bytes(b"PROPFIND").unwrap(),
                format!("{}{path}", self.url().trim_end_matches('/')),
            )
            .basic_auth(user.0, Some(user.1))
            .header("depth", "1")
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        let mut names: Vec<String> = text
            .split("<href>")
            .skip(1)
            .filter_map(|s| s.split("</href>").next())
            .filter(|h| h.ends_with(".ics"))
            .map(|h| {
                h.rsplit('/')
                    .next()
                    .unwrap()
                    .trim_end_matches(".ics")
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for Radicale {
    fn drop(&mut self) {
        self.stop();
    }
}
