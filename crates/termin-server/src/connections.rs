//! Connection limits: what one client can hold of the server before a request even starts.
//!
//! - **Caps.** At most `max_total` connections are open at once, and at most
//!   `max_per_client` from one client network (an IPv4 address, an IPv6 /64). A connection over
//!   either cap is closed as soon as it is accepted, so it costs the server nothing and its
//!   client learns at once. Trusted proxies are exempt from the per-client cap: every client
//!   behind one shares its address.
//! - **Timeouts.** A connection waiting for a request (a new one, or a kept-alive one between
//!   requests) is closed after `idle_timeout`; once the first byte of a request has arrived,
//!   its headers must be complete within `header_read_timeout`. Half-open connections and
//!   clients that trickle their headers (slowloris) are dropped. From the headers to the answer
//!   of an API route the request timeout holds (`app::run_to_completion`, 408).
//!
//! The caps are enforced by [`GuardedListener`], which axum serves like a `TcpListener`. The
//! timeouts need to know whether a connection is between requests, which only the request path
//! knows: [`Tracked`] marks each connection busy while the application handles a request on
//! it, and the connection's stream ([`Guarded`]) times its reads and writes only while it is
//! not.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use termin_domain::special_addresses::client_network;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

use crate::config::{Cidr, ConnectionLimits};

/// A `TcpListener` that holds connections to [`ConnectionLimits`].
pub struct GuardedListener {
    inner: TcpListener,
    limits: ConnectionLimits,
    trusted_proxies: Vec<Cidr>,
    open: Arc<OpenConnections>,
}

#[derive(Default)]
struct OpenConnections {
    /// The total, and the count per client network (absent: none).
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, limits: ConnectionLimits, trusted_proxies: Vec<Cidr>) -> Self {
        Self {
            inner,
            limits,
            trusted_proxies,
            open: Arc::default(),
        }
    }

    /// Counts a new connection from `peer` in, unless it is over a cap.
    fn admit(&self, peer: IpAddr) -> Result<Admitted, &'static str> {
        let exempt = self.trusted_proxies.iter().any(|p| p.contains(peer));
        let network = client_network(peer);
        let mut counts = self.open.counts.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_client) = &mut *counts;
        if *total >= self.limits.max_total {
            return Err("the server's connection cap");
        }
        let mine = per_client.entry(network).or_insert(0);
        if !exempt && *mine >= self.limits.max_per_client {
            return Err("the per-client connection cap");
        }
        *mine += 1;
        *total += 1;
        Ok(Admitted {
            open: self.open.clone(),
            network,
        })
    }
}

/// A counted connection; counted out when dropped.
struct Admitted {
    open: Arc<OpenConnections>,
    network: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_client) = &mut *counts;
        *total -= 1;
        if let Some(mine) = per_client.get_mut(&self.network) {
            *mine -= 1;
            if *mine == 0 {
                per_client.remove(&self.network);
            }
        }
    }
}

impl Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        loop {
            let (stream, peer) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            };
            match self.admit(peer.ip()) {
                Ok(admitted) => {
                    // Answers are small and written whole; waiting to fill a segment only
                    // delays them.
                    let _ = stream.set_nodelay(true);
                    return (Guarded::new(stream, self.limits, admitted), peer);
                }
                Err(cap) => {
                    tracing::debug!(%peer, "connection refused: over {cap}");
                    drop(stream);
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accept that failed. Errors of one connection are skipped; others (out of file
/// descriptors, most often) are logged, and accepting pauses a moment so that connections can
/// close.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Where a connection is: waiting for a request, reading one's headers, or in the application.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Idle,
    Head,
    Busy,
}

/// A connection's phase and since when, shared between its stream and the requests on it.
struct Activity {
    state: Mutex<(Phase, Instant)>,
}

impl Activity {
    fn set(&self, phase: Phase) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (phase, Instant::now());
    }

    /// Bytes moved: a request begins (when idle), or an answer is still being taken (idle
    /// after the application answered) and the idle clock starts again.
    fn moved(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == Phase::Idle {
            *state = (Phase::Idle, Instant::now());
        }
    }

    fn read_some(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == Phase::Idle {
            *state = (Phase::Head, Instant::now());
        }
    }

    /// When the connection is to be closed if nothing happens, unless it is busy.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        let (phase, since) = *self.state.lock().unwrap_or_else(|e| e.into_inner());
        match phase {
            Phase::Idle => Some(since + limits.idle_timeout),
            Phase::Head => Some(since + limits.header_read_timeout),
            Phase::Busy => None,
        }
    }
}

/// An accepted connection: its socket, timed while it is not busy, and its place in the caps.
pub struct Guarded {
    stream: TcpStream,
    limits: ConnectionLimits,
    activity: Arc<Activity>,
    timer: Pin<Box<Sleep>>,
    _admitted: Admitted,
}

impl Guarded {
    fn new(stream: TcpStream, limits: ConnectionLimits, admitted: Admitted) -> Self {
        let now = Instant::now();
        Self {
            stream,
            limits,
            activity: Arc::new(Activity {
                state: Mutex::new((Phase::Idle, now)),
            }),
            timer: Box::pin(tokio::time::sleep_until(now + limits.idle_timeout)),
            _admitted: admitted,
        }
    }

    /// For a read or write that must wait: an error once the connection has waited too long,
    /// otherwise `Pending` with the timer set to wake the connection at its deadline.
    fn wait_or_expire(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(deadline) = self.activity.deadline(&self.limits) else {
            return Poll::Pending;
        };
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        ready!(self.timer.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the connection waited too long for a request",
        ))
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.read_some();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.wait_or_expire(cx).map(Err),
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.activity.moved();
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.wait_or_expire(cx).map(Err),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                this.activity.moved();
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.wait_or_expire(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Makes the per-connection service: the application, with the peer's address as
/// `ConnectInfo<SocketAddr>` and the connection marked busy while a request runs.
#[derive(Clone)]
pub struct MakeTracked<S> {
    app: S,
}

impl<S> MakeTracked<S> {
    pub fn new(app: S) -> Self {
        Self { app }
    }
}

impl<S: Clone> tower::Service<IncomingStream<'_, GuardedListener>> for MakeTracked<S> {
    type Response = Tracked<S>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Tracked<S>, std::convert::Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, GuardedListener>) -> Self::Future {
        std::future::ready(Ok(Tracked {
            app: self.app.clone(),
            peer: *stream.remote_addr(),
            activity: stream.io().activity.clone(),
        }))
    }
}

/// The application as one connection sees it.
#[derive(Clone)]
pub struct Tracked<S> {
    app: S,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl<S> tower::Service<Request> for Tracked<S>
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, std::convert::Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.app.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        self.activity.set(Phase::Busy);
        let answer = self.app.call(request);
        let activity = self.activity.clone();
        Box::pin(async move {
            let response = answer.await;
            activity.set(Phase::Idle);
            response
        })
    }
}
