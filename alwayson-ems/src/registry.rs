//! The things registered with the gateway (`auto_bind` and `AddEdgeThing`), where their
//! application listens, and the file that keeps those registered with `persist`.

use crate::config::{AutoBind, Protocol};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most things registered at once (beyond it `AddEdgeThing` is refused).
pub const MAX_REGISTRATIONS: usize = 10_000;

/// Longest thing name accepted (bytes).
pub const MAX_NAME_LEN: usize = 256;

/// Why a name cannot be a thing's name: empty, too long, or holding a control character or
/// a character that cannot appear in a REST path segment (`/`, `\`, `?`, `#`).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a thing name cannot be empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "a thing name is at most {MAX_NAME_LEN} bytes ({} given)",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#'))
    {
        return Err(format!("a thing name cannot hold {c:?}"));
    }
    Ok(())
}

/// Where the application serving a thing listens (platform requests are forwarded there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path prefix (`/scripts/Thingworx` for the Lua Script Resource).
    pub path: String,
    /// HTTP or HTTPS.
    pub protocol: Protocol,
    /// Basic authentication user.
    pub user: Option<String>,
    /// Basic authentication password.
    pub password: Option<String>,
}

/// One registered thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeThing {
    /// Thing name.
    pub name: String,
    /// The application answering its requests; `None`: requests get NOT_FOUND at once.
    pub app: Option<Application>,
    /// `keepalive` as registered (ms; reported by `GetEdgeThings`).
    pub keepalive: u64,
    /// How long a forwarded request may take.
    pub timeout: Duration,
    /// `accept` as registered (reported by `GetEdgeThings`).
    pub accept: String,
    /// Kept across gateway restarts.
    pub persist: bool,
    /// Unbound because its application failed the health check.
    pub app_down: bool,
}

impl EdgeThing {
    /// A registration from an `auto_bind` entry.
    pub fn from_auto_bind(a: &AutoBind) -> Self {
        EdgeThing {
            name: a.name.clone(),
            app: a.host.clone().map(|host| Application {
                host,
                port: a.port,
                path: a.path.clone(),
                protocol: a.protocol,
                user: a.user.clone(),
                password: a.password.clone(),
            }),
            keepalive: 60_000,
            timeout: a.timeout,
            accept: String::new(),
            persist: false,
            app_down: false,
        }
    }

    /// A registration from an `AddEdgeThing` body (`name` required; `port` may be a
    /// string, as the Lua Script Resource sends it). The error names the bad field.
    pub fn from_json(body: &Map<String, Json>) -> Result<Self, String> {
        let string = |key: &str| -> Result<Option<String>, String> {
            match body.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("{key}: expected a string")),
            }
        };
        let number = |key: &str, max: u64| -> Result<Option<u64>, String> {
            let v = match body.get(key) {
                None | Some(Json::Null) => return Ok(None),
                Some(Json::Number(n)) => n.as_u64(),
                Some(Json::String(s)) if s.is_empty() => return Ok(None),
                Some(Json::String(s)) => s.trim().parse().ok(),
                Some(_) => None,
            };
            match v {
                Some(v) if v <= max => Ok(Some(v)),
                _ => Err(format!("{key}: expected an integer from 0 to {max}")),
            }
        };
        let name = string("name")?.ok_or("name: missing")?;
        check_name(&name).map_err(|e| format!("name: {e}"))?;
        let protocol = match string("proto")? {
            None => Protocol::Http,
            Some(p) => Protocol::parse(&p).ok_or(format!("proto: {p:?} is not http or https"))?,
        };
        let port = number("port", u64::from(u16::MAX))?.unwrap_or(8001) as u16;
        let path = string("path")?.unwrap_or_else(|| "/Thingworx".into());
        if !path.is_empty() && !path.starts_with('/') {
            return Err(format!("path: {path:?} does not start with '/'"));
        }
        let app = string("host")?
            .filter(|h| !h.is_empty())
            .map(|host| Application {
                host,
                port,
                path: path.trim_end_matches('/').to_owned(),
                protocol,
                user: string("user").ok().flatten(),
                password: string("password").ok().flatten(),
            });
        let persist = match body.get("persist") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err("persist: expected true or false".into()),
        };
        Ok(EdgeThing {
            name,
            app,
            keepalive: number("keepalive", u64::from(u32::MAX))?.unwrap_or(60_000),
            timeout: Duration::from_millis(number("timeout", 3_600_000)?.unwrap_or(30_000)),
            accept: string("accept")?.unwrap_or_default(),
            persist,
            app_down: false,
        })
    }

    /// As written to the registrations file (and read back by [`EdgeThing::from_json`]).
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        if let Some(a) = &self.app {
            m.insert("host".into(), json!(a.host));
            m.insert("port".into(), json!(a.port));
            m.insert("path".into(), json!(a.path));
            m.insert("proto".into(), json!(a.protocol.as_str()));
            if let Some(u) = &a.user {
                m.insert("user".into(), json!(u));
            }
            if let Some(p) = &a.password {
                m.insert("password".into(), json!(p));
            }
        }
        m.insert("keepalive".into(), json!(self.keepalive));
        m.insert("timeout".into(), json!(self.timeout.as_millis() as u64));
        m.insert("accept".into(), json!(self.accept));
        m.insert("persist".into(), json!(self.persist));
        Json::Object(m)
    }
}

/// The registered things, by name.
#[derive(Debug)]
pub struct Registry {
    things: Mutex<BTreeMap<String, EdgeThing>>,
    file: PathBuf,
    writer: Arc<Writer>,
}

/// Writes the registrations file, newest snapshot last.
#[derive(Debug)]
struct Writer {
    file: PathBuf,
    /// Snapshots taken so far (each numbered).
    requested: AtomicU64,
    /// The number of the last snapshot written (held while writing: one writer at a time).
    written: Mutex<u64>,
}

impl Writer {
    /// Writes snapshot `generation` (`text`) atomically, a temporary file renamed over
    /// the file; skipped when a newer one was written already.
    fn write(&self, generation: u64, text: &str) {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if *written >= generation {
            return;
        }
        let tmp = self.file.with_extension("json.tmp");
        let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.file));
        if let Err(e) = result {
            tracing::warn!(file = %self.file.display(), error = %e, "cannot write the registrations file");
        }
        *written = generation;
    }

    fn done(&self) -> bool {
        *self.written.lock().unwrap_or_else(|e| e.into_inner())
            >= self.requested.load(Ordering::SeqCst)
    }
}

impl Registry {
    /// An empty registry that keeps persistent registrations in `file`.
    pub fn new(file: PathBuf) -> Self {
        Registry {
            things: Mutex::new(BTreeMap::new()),
            writer: Arc::new(Writer {
                file: file.clone(),
                requested: AtomicU64::new(0),
                written: Mutex::new(0),
            }),
            file,
        }
    }

    /// Waits (up to 5 s) until the registrations file holds the latest registrations.
    pub async fn flushed(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.writer.done() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, EdgeThing>> {
        self.things.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the registrations file (a missing file is no registrations); returns what was
    /// added. A bad file or entry is logged and skipped, never fatal.
    pub fn load_persisted(&self) -> Vec<String> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                tracing::warn!(file = %self.file.display(), error = %e, "cannot read the registrations file");
                return Vec::new();
            }
        };
        let list = match serde_json::from_str::<Json>(&text) {
            Ok(Json::Array(list)) => list,
            _ => {
                tracing::warn!(file = %self.file.display(), "registrations file is not a JSON list: ignored");
                return Vec::new();
            }
        };
        let mut added = Vec::new();
        let mut things = self.lock();
        for entry in list {
            match entry
                .as_object()
                .ok_or_else(|| "not an object".to_owned())
                .and_then(EdgeThing::from_json)
            {
                Ok(_) if things.len() >= MAX_REGISTRATIONS => {
                    tracing::warn!(file = %self.file.display(), "too many registrations: the rest skipped");
                    break;
                }
                Ok(t) => {
                    added.push(t.name.clone());
                    things.insert(t.name.clone(), t);
                }
                Err(e) => {
                    tracing::warn!(file = %self.file.display(), error = %e, "registration skipped")
                }
            }
        }
        added
    }

    /// Writes the persistent registrations atomically (a temporary file renamed), off
    /// the async tasks (`spawn_blocking`) when on a tokio runtime; see [`Self::flushed`].
    /// Called with the lock held, so snapshots are numbered in the order of the changes.
    fn save(&self, things: &BTreeMap<String, EdgeThing>) {
        let list: Vec<Json> = things
            .values()
            .filter(|t| t.persist)
            .map(EdgeThing::to_json)
            .collect();
        let text = Json::Array(list).to_string();
        let generation = self.writer.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let writer = self.writer.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(move || writer.write(generation, &text));
            }
            Err(_) => writer.write(generation, &text),
        }
    }

    /// Adds or replaces a registration; refused (with the reason) beyond
    /// [`MAX_REGISTRATIONS`].
    pub fn add(&self, thing: EdgeThing) -> Result<(), String> {
        let mut things = self.lock();
        if things.len() >= MAX_REGISTRATIONS && !things.contains_key(&thing.name) {
            return Err(format!(
                "{MAX_REGISTRATIONS} things are registered already: remove some first"
            ));
        }
        let was_persistent = things.get(&thing.name).is_some_and(|t| t.persist);
        let persist = thing.persist;
        things.insert(thing.name.clone(), thing);
        if persist || was_persistent {
            self.save(&things);
        }
        Ok(())
    }

    /// Removes a registration; returns it.
    pub fn remove(&self, name: &str) -> Option<EdgeThing> {
        let mut things = self.lock();
        let removed = things.remove(name)?;
        if removed.persist {
            self.save(&things);
        }
        Some(removed)
    }

    /// A registration.
    pub fn get(&self, name: &str) -> Option<EdgeThing> {
        self.lock().get(name).cloned()
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    /// Every registration, by name.
    pub fn all(&self) -> Vec<EdgeThing> {
        self.lock().values().cloned().collect()
    }

    /// Marks the things of the application at `host:port` as down (`true`) or up; returns
    /// the names whose mark changed.
    pub fn set_app_down(&self, host: &str, port: u16, down: bool) -> Vec<String> {
        let mut changed = Vec::new();
        for t in self.lock().values_mut() {
            let Some(app) = &t.app else { continue };
            if app.host == host && app.port == port && t.app_down != down {
                t.app_down = down;
                changed.push(t.name.clone());
            }
        }
        changed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lsr_registration_body() {
        let body = json!({"keepalive":60000,"port":"18001","timeout":15000,"host":"127.0.0.1",
            "proto":"https","name":"LsrThing1","path":"/scripts/Thingworx"});
        let t = EdgeThing::from_json(body.as_object().unwrap()).unwrap();
        let app = t.app.unwrap();
        assert_eq!(
            (app.port, app.protocol, app.path.as_str()),
            (18001, Protocol::Https, "/scripts/Thingworx")
        );
        assert_eq!(t.timeout, Duration::from_millis(15000));
        for bad in [
            json!({}),
            json!({"name": ""}),
            json!({"name": "a/b"}),
            json!({"name": "x", "port": "99999"}),
            json!({"name": 5}),
        ] {
            assert!(
                EdgeThing::from_json(bad.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn persisted_registrations_come_back() {
        let dir = std::env::temp_dir().join(format!("alwayson-ems-reg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("r.json");
        let r = Registry::new(file.clone());
        let mut t = EdgeThing::from_json(
            json!({"name":"A","host":"h","port":1,"persist":true})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        r.add(t.clone()).unwrap();
        r.add(EdgeThing::from_json(json!({"name":"B"}).as_object().unwrap()).unwrap())
            .unwrap();
        let again = Registry::new(file.clone());
        assert_eq!(again.load_persisted(), vec!["A".to_owned()]);
        t.persist = true;
        assert_eq!(again.get("A").unwrap(), t);
        r.remove("A");
        assert!(Registry::new(file).load_persisted().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_a_runtime_the_file_is_written_in_the_background_newest_last() {
        let dir = std::env::temp_dir().join(format!("alwayson-ems-regbg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("r.json");
        let r = Registry::new(file.clone());
        let thing = |name: &str| {
            EdgeThing::from_json(
                json!({"name": name, "host": "h", "port": 1, "persist": true})
                    .as_object()
                    .unwrap(),
            )
            .unwrap()
        };
        for i in 0..50 {
            r.add(thing(&format!("T{i}"))).unwrap();
        }
        for i in (0..50).step_by(2) {
            r.remove(&format!("T{i}"));
        }
        r.flushed().await;
        let mut back = Registry::new(file.clone()).load_persisted();
        back.sort();
        let mut want: Vec<String> = (1..50).step_by(2).map(|i| format!("T{i}")).collect();
        want.sort();
        assert_eq!(back, want, "the file holds the last state");
        assert!(
            !file.with_extension("json.tmp").exists(),
            "the temporary file was renamed"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
