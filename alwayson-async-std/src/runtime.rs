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

/// Runs `future` to completion on the calling thread (async-global-executor's `block_on`,
/// which also drives async-io's reactor) and returns its output, with the global executor
/// limited to one thread for the tasks the client spawns (when it was not started or
/// configured before; `ASYNC_GLOBAL_EXECUTOR_THREADS` still overrides it). The counterpart
/// of `alwayson_tokio::block_on` for small devices; unlike tokio's `current_thread`
/// runtime it still uses that executor thread, and async-io's reactor thread while no
/// caller drives the reactor. Never fails; `io::Result` for the same signature as tokio's.
///
/// ```no_run
/// use alwayson_async_std::{EdgeClient, Thing};
///
/// fn main() -> Result<(), alwayson_async_std::Error> {
///     alwayson_async_std::block_on(async {
///         let edge = EdgeClient::builder("ws://127.0.0.1:8080/Thingworx/WS")
///             .app_key("my-app-key")
///             .thing(Thing::new("Pump1").property("temp", 21.5))
///             .connect()
///             .await?;
///         edge.shutdown().await;
///         Ok(())
///     })?
/// }
/// ```
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    async_global_executor::init_with_config(
        async_global_executor::GlobalExecutorConfig::default()
            .with_min_threads(1)
            .with_max_threads(1),
    );
    Ok(async_global_executor::block_on(future))
}
