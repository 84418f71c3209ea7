//! A real SMTP server for the tests: Debian's `python3-aiosmtpd`, started as a process on a free
//! loopback port, keeping every message it accepts in a maildir. Where it is not installed the
//! tests that need it say so and pass, unless `TERMIN_TEST_REQUIRE_SMTP=1` (CI sets it).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The interpreter that has `aiosmtpd` (Debian installs it for the system Python).
fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    /// A server on a free port, or `None` (with a note) where aiosmtpd is missing.
    pub fn start() -> Option<Self> {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Option<Self> {
        Self::start_in(port, tempfile::tempdir().unwrap(), &[])
    }

    /// A server that speaks TLS with a certificate for 127.0.0.1 signed by an authority of its
    /// own (returned as PEM): with STARTTLS, which it then requires, or (`implicit`) from the
    /// first byte.
    pub fn start_tls(implicit: bool) -> Option<(Self, Vec<u8>)> {
        python()?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=termin test authority",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        let ca = std::fs::read(d.join("ca.pem")).unwrap();
        let (cert, key) = (d.join("server.pem"), d.join("server.key"));
        let (cert_flag, key_flag) = if implicit {
            ("--smtpscert", "--smtpskey")
        } else {
            ("--tlscert", "--tlskey")
        };
        let tls = [
            cert_flag.to_owned(),
            cert.display().to_string(),
            key_flag.to_owned(),
            key.display().to_string(),
        ];
        Some((Self::start_in(free_port(), dir, &tls)?, ca))
    }

    fn start_in(port: u16, dir: tempfile::TempDir, extra: &[String]) -> Option<Self> {
        let Some(python) = python() else {
            if std::env::var("TERMIN_TEST_REQUIRE_SMTP").as_deref() == Ok("1") {
                panic!("TERMIN_TEST_REQUIRE_SMTP=1 but python3-aiosmtpd is not installed");
            }
            eprintln!("note: python3-aiosmtpd is not installed; skipping an SMTP test");
            return None;
        };
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(extra)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, port, dir })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("box").join("new")
    }

    /// Every message received so far, in the order received.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.maildir()) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        // Maildir names begin with the delivery time: `{seconds}.M{microseconds}P...`.
        let time = |f: &PathBuf| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let (secs, rest) = name.split_once('.').unwrap_or((&name, ""));
            let micros: String = rest
                .trim_start_matches('M')
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            (
                secs.parse::<u64>().unwrap_or(0),
                micros.parse::<u64>().unwrap_or(0),
            )
        };
        files.sort_by_key(time);
        files
            .into_iter()
            .filter_map(|f| std::fs::read(f).ok())
            .collect()
    }

    /// Waits until at least `n` messages arrived (and a moment for any extra to show).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= n {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return self.messages();
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (its maildir stays readable through the value).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One received message, parsed as MIME.
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub reply_to: Option<String>,
    /// The calendar part, parsed: its METHOD, and the event's UID and SEQUENCE.
    pub calendar: Option<Calendar>,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub method: String,
    pub uid: String,
    pub sequence: i64,
    pub status: String,
    pub start: String,
    pub attendees: Vec<String>,
}

pub fn parse(raw: &[u8]) -> Received {
    use mail_parser::{MessageParser, MimeHeaders};
    let m = MessageParser::default().parse(raw).expect("MIME");
    let address = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_owned)
    };
    let calendar = m.attachments().find_map(|part| {
        let kind = part.content_type()?;
        if kind.ctype() != "text" || kind.subtype() != Some("calendar") {
            return None;
        }
        let text = part.text_contents()?.to_owned();
        Some(parse_calendar(&text))
    });
    Received {
        to: address(m.to()).unwrap_or_default(),
        subject: m.subject().unwrap_or_default().to_owned(),
        text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        message_id: m.message_id().unwrap_or_default().to_owned(),
        reply_to: address(m.reply_to()),
        calendar,
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

/// A calendar file read with the `icalendar` crate's parser.
pub fn parse_calendar(text: &str) -> Calendar {
    use icalendar::{Calendar as Ical, CalendarComponent, Component};
    let cal: Ical = text
        .parse()
        .unwrap_or_else(|e| panic!("a valid .ics ({e}): {text}"));
    let method = cal.property_value("METHOD").unwrap_or_default().to_owned();
    let event = cal
        .components
        .iter()
        .find_map(|c| match c {
            CalendarComponent::Event(e) => Some(e.clone()),
            _ => None,
        })
        .expect("one event");
    let prop = |k: &str| event.property_value(k).unwrap_or_default().to_owned();
    let attendees = event
        .multi_properties()
        .get("ATTENDEE")
        .map(|ps| {
            ps.iter()
                .map(|p| p.value().trim_start_matches("mailto:").to_owned())
                .collect()
        })
        .unwrap_or_default();
    Calendar {
        method,
        uid: prop("UID"),
        sequence: prop("SEQUENCE").parse().unwrap_or(-1),
        status: prop("STATUS"),
        start: prop("DTSTART"),
        attendees,
    }
}
