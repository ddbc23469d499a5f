//! [`Tokio`]: the [`Runtime`] for tokio (tasks, timer, TCP sockets).

use alwayson_async::Runtime;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// The tokio runtime: tasks go to `tokio::spawn` (so everything must run inside a tokio
/// runtime, with the `net` and `time` drivers enabled), sockets are tokio's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type TcpStream = Compat<TcpStream>;
    type TcpListener = TcpListener;

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep_until(deadline.into())
    }

    async fn connect(host: &str, port: u16) -> io::Result<Self::TcpStream> {
        let tcp = TcpStream::connect((host, port)).await?;
        let _ = tcp.set_nodelay(true);
        Ok(tcp.compat())
    }

    async fn bind(addr: &str) -> io::Result<Self::TcpListener> {
        TcpListener::bind(addr).await
    }

    fn local_addr(listener: &Self::TcpListener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::TcpListener) -> io::Result<(Self::TcpStream, SocketAddr)> {
        let (tcp, peer) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        Ok((tcp.compat(), peer))
    }
}
