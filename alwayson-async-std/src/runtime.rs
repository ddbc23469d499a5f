//! [`AsyncStd`]: the [`Runtime`] for the async-std / smol ecosystem (async-io's reactor and
//! timers, async-net's sockets, tasks on the application's executor or on
//! async-global-executor).

use alwayson_async::Runtime;
use async_net::{TcpListener, TcpStream};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

/// The executor [`AsyncStd::use_executor`] designated, if any.
static EXECUTOR: OnceLock<&'static async_executor::Executor<'static>> = OnceLock::new();

/// The async-std / smol runtime: sockets from async-net and timers from async-io (one
/// reactor per process, driven by whichever executor polls it, or by async-io's own
/// thread), tasks on the executor given to [`AsyncStd::use_executor`], else on
/// async-global-executor (the executor async-std's `task::spawn` uses). Needs no runtime to
/// be started first.
///
/// # Which executor runs the tasks
///
/// A library cannot ask async-std or smol "which executor am I running on" (neither has
/// tokio's `Handle::try_current`), so "ambient" means:
///
/// * **under async-std**: async-global-executor. `async_std::task::spawn` puts tasks there
///   itself, so alwayson's tasks already run on async-std's executor, with no setting.
/// * **under smol**: the [`async_executor::Executor`] the application drives (smol's
///   `smol::Executor` is that type), once it is handed in with [`AsyncStd::use_executor`].
///   Until then (or if it never is), tasks go to async-global-executor, which runs its own
///   threads beside smol's: everything works, on more threads than the application chose.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

impl AsyncStd {
    /// Runs alwayson's tasks (connection tasks, drivers, handlers) on `executor` from now
    /// on, for the whole process: under smol, the `smol::Executor` the application drives
    /// (it must keep driving it, e.g. `smol::block_on(EX.run(main))`). Returns false, and
    /// changes nothing, when an executor was already set. Not needed under async-std.
    ///
    /// ```
    /// use alwayson_async_std::AsyncStd;
    /// static EX: smol::Executor<'static> = smol::Executor::new();
    /// assert!(AsyncStd::use_executor(&EX));
    /// smol::block_on(EX.run(async {
    ///     // start platforms and edge clients here: their tasks run on EX
    /// }));
    /// ```
    pub fn use_executor(executor: &'static async_executor::Executor<'static>) -> bool {
        EXECUTOR.set(executor).is_ok()
    }
}

impl Runtime for AsyncStd {
    type TcpStream = TcpStream;
    type TcpListener = TcpListener;

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match EXECUTOR.get() {
            Some(executor) => executor.spawn(future).detach(),
            None => async_global_executor::spawn(future).detach(),
        }
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        let timer = async_io::Timer::at(deadline);
        async move {
            timer.await;
        }
    }

    async fn connect(host: &str, port: u16) -> io::Result<Self::TcpStream> {
        let tcp = TcpStream::connect((host, port)).await?;
        let _ = tcp.set_nodelay(true);
        Ok(tcp)
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
        Ok((tcp, peer))
    }
}
