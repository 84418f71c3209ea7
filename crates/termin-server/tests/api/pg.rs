//! A throwaway PostgreSQL cluster for the test process, started on first use in a temp dir from
//! the server binaries installed on the machine, and stopped by a watchdog when the test process
//! exits. Never depends on a server that is already running.
//!
//! `TERMIN_TEST_POSTGRES_URL` (an admin URL) uses an existing server instead.
//! `TERMIN_TEST_REQUIRE_POSTGRES=1` (set by `.ci/run`) turns "no PostgreSQL here" into a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};

pub struct Cluster {
    admin_url: String,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();

fn required() -> bool {
    std::env::var("TERMIN_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// The directory holding `initdb` and `postgres`, if any.
fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TERMIN_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("postgres").exists())
        .collect();
    candidates.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    candidates.pop().or_else(|| {
        let out = Command::new("pg_config").arg("--bindir").output().ok()?;
        let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        dir.join("initdb").exists().then_some(dir)
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: drop to `nobody` when we are root.
fn command(bin: &Path, as_nobody: bool) -> Command {
    if as_nobody {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]);
        c.arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir().ok_or("no PostgreSQL server binaries found (initdb, postgres)")?;
    let root = is_root();
    let dir =
        std::env::temp_dir().join(format!("termin-pg-{}-{}", std::process::id(), free_port()));
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if root {
        let status = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("chown of the cluster dir failed".into());
        }
    }
    let out = command(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = free_port();
    let log = std::fs::File::create(dir.join("postgres.log")).map_err(|e| e.to_string())?;
    let child = command(&bin.join("postgres"), root)
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(&dir)
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=400",
            "-c",
            "shared_buffers=128MB",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("postgres: {e}"))?;
    // The watchdog stops the cluster and deletes its files once this test process is gone.
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 1; done; kill -INT {pg} 2>/dev/null; \
         for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 {pg} 2>/dev/null || break; sleep 1; done; \
         kill -KILL {pg} 2>/dev/null; rm -rf '{dir}'",
        me = std::process::id(),
        pg = child.id(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-q",
            ])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ready {
            break;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
            return Err(format!("postgres did not become ready: {log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Cluster {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    })
}

fn cluster() -> Option<&'static Cluster> {
    CLUSTER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("TERMIN_TEST_POSTGRES_URL") {
                return Some(Cluster { admin_url: url });
            }
            match start() {
                Ok(c) => Some(c),
                Err(e) if required() => {
                    panic!("PostgreSQL is required for this run but could not start: {e}")
                }
                Err(e) => {
                    eprintln!("note: PostgreSQL tests are skipped: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// A URL to a new, empty database on the test cluster, or `None` where PostgreSQL is not
/// available (and not required).
pub async fn fresh_database() -> Option<String> {
    let cluster = cluster()?;
    sqlx::any::install_default_drivers();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&cluster.admin_url)
        .await
        .expect("connect to the test cluster");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create a test database");
    let _ = conn.close().await;
    let base = cluster
        .admin_url
        .rsplit_once('/')
        .expect("url has a path")
        .0;
    Some(format!("{base}/{name}"))
}
