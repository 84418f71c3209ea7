//! Runs the real `termin` binary: servers as child processes, operator commands to completion.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_termin"))
}

/// Runs `termin --database-url URL --json ARGS...` and returns its JSON output.
pub fn cli_json(url: &str, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let output = cli(url, args, stdin);
    assert!(
        output.status.success(),
        "termin {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "termin {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

pub fn cli(url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(binary())
        .args(["--database-url", url, "--json"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run termin");
    {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().expect("termin finished")
}

/// A `termin serve` process; killed when dropped. Everything it prints is kept.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(url: &str, extra_env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url])
            .env("TERMIN_RATE_LIMIT_PER_MINUTE", "1000000")
            .env("TERMIN_RATE_LIMIT_BURST", "1000000")
            // One key for every test server: nodes of one database must share it, and no key
            // file is left in the working directory.
            .env(
                "TERMIN_SECRETS_KEY",
                "dGVybWluLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmchISE=",
            )
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start termin serve");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("termin listening on ") {
                    let _ = tx.send(
                        addr.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                }
                out.lock().unwrap().push(line);
            }
        });
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                out.lock().unwrap().push(line);
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("termin serve did not start: {:?}", output.lock().unwrap()));
        Server {
            child,
            base,
            output,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait for termin")
    }

    pub fn lines(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn get_status(client: &reqwest::Client, url: &str, bearer: &str) -> u16 {
    client
        .get(url)
        .bearer_auth(bearer)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}
