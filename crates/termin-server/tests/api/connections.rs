//! Connection limits, over real sockets: caps on open connections overall and per client, and
//! the idle and header-read timeouts. No database work is involved, so these run on SQLite
//! only. Attackers connect from other loopback addresses (127.0.0.2, ...) than the client that
//! must still be served (127.0.0.1).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use termin_server::app::Application;
use termin_server::config::Config;
use termin_server::config::ConnectionLimits;
use termin_storage::Db;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{sqlite_url, test_config};

/// A server on a real socket; it stops when the guard is dropped.
struct Running {
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn serve(config: Config) -> Running {
    let (url, dir) = sqlite_url();
    let db = Db::connect(&url).await.expect("database");
    let app = Application::with_db(config, db).await.expect("bind");
    let addr = app.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        _stop: stop,
        _dir: dir,
    }
}

fn config(limits: ConnectionLimits) -> Config {
    let mut config = test_config();
    config.connections = limits;
    config
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(to).await.expect("connect")
}

/// Whether the server has closed `stream` (or closes it within `within`): reads until the end
/// of the stream, an error, or the time runs out (then it is open).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let read_to_end = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(within, read_to_end).await.is_ok()
}

/// One request on its own connection, answered promptly: its status code.
async fn served(from: IpAddr, to: SocketAddr, path: &str) -> u16 {
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        let mut stream = connect_from(from, to).await;
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    })
    .await
    .expect("the client was answered within 5 s");
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_half_open_connections_from_one_client_do_not_keep_out_another() {
    // The defaults: 256 per client network, 4096 in all.
    let limits = ConnectionLimits::default();
    let server = serve(config(limits)).await;
    let attacker = loopback(2);
    const HELD: usize = 2000;
    let mut held = Vec::with_capacity(HELD);
    for _ in 0..HELD / 100 {
        let mut batch = JoinSet::new();
        for _ in 0..100 {
            let to = server.addr;
            batch.spawn(async move {
                let mut stream = connect_from(attacker, to).await;
                // A request that never finishes its headers.
                let _ = stream
                    .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n")
                    .await;
                stream
            });
        }
        held.extend(batch.join_all().await);
    }

    // Another client is served at once, on an anonymous route and an authenticated one.
    assert_eq!(served(loopback(1), server.addr, "/health").await, 200);
    assert_eq!(served(loopback(1), server.addr, "/v4/user/me").await, 401);

    // The server holds exactly its per-client cap of the attacker's connections; it closed
    // every other one as it arrived.
    let mut checks = JoinSet::new();
    for mut stream in held {
        checks.spawn(async move { closed_within(&mut stream, Duration::from_secs(1)).await });
    }
    let still_open = checks
        .join_all()
        .await
        .into_iter()
        .filter(|closed| !closed)
        .count();
    assert_eq!(still_open, limits.max_per_client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_wide_cap_holds_and_frees_as_connections_close() {
    let mut config = config(ConnectionLimits {
        max_total: 8,
        max_per_client: 5,
        ..ConnectionLimits::default()
    });
    // A reverse proxy carries many clients: the per-client cap does not apply to it.
    config.trusted_proxies = vec!["127.0.0.9".parse().unwrap()];
    let server = serve(config).await;

    let mut proxy = Vec::new();
    for _ in 0..8 {
        proxy.push(connect_from(loopback(9), server.addr).await);
    }
    for stream in &mut proxy {
        assert!(!closed_within(stream, Duration::from_millis(200)).await);
    }
    // Full: a ninth connection, from anyone, is closed at once.
    let mut ninth = connect_from(loopback(3), server.addr).await;
    assert!(closed_within(&mut ninth, Duration::from_secs(5)).await);

    // One closes, and a new client is served.
    proxy.pop();
    let mut served_once = false;
    for _ in 0..50 {
        // The server counts the closed connection out once it notices the close.
        let mut probe = connect_from(loopback(3), server.addr).await;
        if !closed_within(&mut probe, Duration::from_millis(100)).await {
            served_once = true;
            drop(probe);
            break;
        }
    }
    assert!(served_once, "a freed slot was never given to a new client");

    // Per client, beyond the proxy: five from one address, the sixth closed at once.
    drop(proxy);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut mine = Vec::new();
    for _ in 0..5 {
        mine.push(connect_from(loopback(4), server.addr).await);
    }
    for stream in &mut mine {
        assert!(!closed_within(stream, Duration::from_millis(100)).await);
    }
    let mut sixth = connect_from(loopback(4), server.addr).await;
    assert!(closed_within(&mut sixth, Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_wait_too_long_for_a_request_are_closed() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(700),
        idle_timeout: Duration::from_millis(1500),
        ..ConnectionLimits::default()
    };
    let server = serve(config(limits)).await;

    // Connected, and never a byte: closed after the idle timeout, and not before.
    let started = tokio::time::Instant::now();
    let mut silent = connect_from(loopback(1), server.addr).await;
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await);
    assert!(started.elapsed() >= limits.idle_timeout);

    // Headers trickled a byte at a time: each byte is activity, but the headers as a whole
    // must arrive within the header-read timeout.
    let mut trickle = connect_from(loopback(1), server.addr).await;
    let started = tokio::time::Instant::now();
    let request = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut_off = false;
    for byte in request {
        if trickle.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        if closed_within(&mut trickle, Duration::from_millis(50)).await {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "a trickled request was read to its end");
    assert!(started.elapsed() >= limits.header_read_timeout);

    // A kept-alive connection: the header clock starts again with each request, so requests
    // spread over more than the header-read timeout are all answered; then, idle, it closes.
    let mut kept = connect_from(loopback(1), server.addr).await;
    for _ in 0..3 {
        kept.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), kept.read(&mut buf))
            .await
            .expect("answered")
            .unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let idle_from = tokio::time::Instant::now();
    assert!(closed_within(&mut kept, Duration::from_secs(10)).await);
    assert!(idle_from.elapsed() + Duration::from_millis(500) >= limits.idle_timeout);
}
