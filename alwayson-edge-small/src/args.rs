//! The command line, parsed by hand (clap would cost more than the rest of the binary's
//! argument handling).

use std::time::Duration;

/// Usage text.
pub const USAGE: &str = "\
usage: alwayson-edge-small [URL] [options]

Connects to an AlwaysOn platform, authenticates, binds one thing and pushes one property
(a counter: 1, 2, 3, ...) periodically. Runs on one thread.

  URL                 ws:// or wss:// (default ws://127.0.0.1:8080/Thingworx/WS)
  --app-key KEY       application key (default: $ALWAYSON_APP_KEY)
  --thing NAME        thing to bind (default SteamSensor1)
  --property NAME     property to push (default Temperature)
  --every SECONDS     push period, fractions allowed (default 1)
  --count N           stop (UNBIND, close) after N pushes (default: never)
  --ca PEM_FILE       trust this CA instead of the built-in roots (wss://)
  --insecure          accept any server certificate (testing only; wss://)
  -h, --help          this text";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Platform URL.
    pub url: String,
    /// Application key.
    pub app_key: String,
    /// Thing to bind.
    pub thing: String,
    /// Property to push.
    pub property: String,
    /// Push period.
    pub every: Duration,
    /// Pushes before stopping; `None` runs until killed.
    pub count: Option<u64>,
    /// PEM file of a CA to trust.
    pub ca: Option<String>,
    /// Accept any server certificate.
    pub insecure: bool,
}

/// Why the command line was not understood (`Help`: `-h` was asked for).
#[derive(Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// `-h` / `--help`.
    Help,
    /// A usage error, with what is wrong.
    Usage(String),
}

impl Args {
    /// Parses the arguments (without the program name); `env_key` is `$ALWAYSON_APP_KEY`.
    pub fn parse<I>(args: I, env_key: Option<String>) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = String>,
    {
        let mut out = Args {
            url: "ws://127.0.0.1:8080/Thingworx/WS".into(),
            app_key: env_key.unwrap_or_default(),
            thing: "SteamSensor1".into(),
            property: "Temperature".into(),
            every: Duration::from_secs(1),
            count: None,
            ca: None,
            insecure: false,
        };
        let mut url = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| ArgsError::Usage(format!("{name} needs a value")))
            };
            match arg.as_str() {
                "-h" | "--help" => return Err(ArgsError::Help),
                "--app-key" => out.app_key = value("--app-key")?,
                "--thing" => out.thing = value("--thing")?,
                "--property" => out.property = value("--property")?,
                "--every" => {
                    let v = value("--every")?;
                    out.every = v
                        .parse::<f64>()
                        .ok()
                        .filter(|s| *s > 0.0)
                        .and_then(|s| Duration::try_from_secs_f64(s).ok())
                        .ok_or_else(|| {
                            ArgsError::Usage(format!(
                                "--every {v}: not a positive number of seconds"
                            ))
                        })?;
                }
                "--count" => {
                    let v = value("--count")?;
                    out.count = Some(v.parse().map_err(|_| {
                        ArgsError::Usage(format!("--count {v}: not a whole number"))
                    })?);
                }
                "--ca" => out.ca = Some(value("--ca")?),
                "--insecure" => out.insecure = true,
                other if other.starts_with('-') => {
                    return Err(ArgsError::Usage(format!("unknown option {other}")))
                }
                _ if url.is_none() => url = Some(arg),
                _ => return Err(ArgsError::Usage(format!("unexpected argument {arg}"))),
            }
        }
        if let Some(url) = url {
            out.url = url;
        }
        if out.app_key.is_empty() {
            return Err(ArgsError::Usage(
                "no application key: give --app-key or set ALWAYSON_APP_KEY".into(),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, ArgsError> {
        Args::parse(args.iter().map(|s| s.to_string()), None)
    }

    #[test]
    fn defaults_and_options() {
        let a = parse(&["--app-key", "k"]).expect("parses");
        assert_eq!(a.url, "ws://127.0.0.1:8080/Thingworx/WS");
        assert_eq!(
            (a.thing.as_str(), a.property.as_str()),
            ("SteamSensor1", "Temperature")
        );
        assert_eq!((a.every, a.count), (Duration::from_secs(1), None));
        let a = parse(&[
            "wss://h:443/Thingworx/WS",
            "--app-key",
            "k",
            "--thing",
            "Pump",
            "--property",
            "p",
            "--every",
            "0.25",
            "--count",
            "3",
            "--insecure",
        ])
        .expect("parses");
        assert_eq!(a.url, "wss://h:443/Thingworx/WS");
        assert_eq!((a.thing.as_str(), a.property.as_str()), ("Pump", "p"));
        assert_eq!((a.every, a.count), (Duration::from_millis(250), Some(3)));
        assert!(a.insecure);
    }

    #[test]
    fn key_from_the_environment() {
        let a = Args::parse(Vec::new(), Some("envkey".into())).expect("parses");
        assert_eq!(a.app_key, "envkey");
    }

    #[test]
    fn usage_errors() {
        assert_eq!(parse(&["-h"]), Err(ArgsError::Help));
        for bad in [
            &["--app-key"][..],
            &[][..],
            &["--app-key", "k", "--every", "0"],
            &["--app-key", "k", "--every", "x"],
            &["--app-key", "k", "--count", "-1"],
            &["--app-key", "k", "--nope"],
            &["--app-key", "k", "ws://a", "ws://b"],
        ] {
            assert!(matches!(parse(bad), Err(ArgsError::Usage(_))), "{bad:?}");
        }
    }
}
