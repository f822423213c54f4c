//! The identity of the files a cached answer was read from, checked on
//! every cache hit.
//!
//! inotify tells the daemon about a change a little after it happened: the
//! event is read by notify's thread and handed to the watch task, which may
//! run after a query that arrives at once. A prompt drawn the moment
//! `docker context use` exits is exactly such a query. Docker replaces
//! config.json and meta.json by renaming a new file over the old one, so a
//! `stat` of each (a microsecond or two) shows the change before the event
//! does; inotify still covers everything a stat cannot see, such as a
//! context directory appearing.

use std::path::{Path, PathBuf};

use dctx_core::context_meta::meta_path;
use dctx_core::fs::FileId;
use dctx_core::resolution::DEFAULT_CONTEXT;
use dctx_core::Resolution;

/// The files one resolution depends on, as they were when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    config: (PathBuf, Option<FileId>),
    meta: Option<(PathBuf, Option<FileId>)>,
}

impl Stamp {
    /// Stats config.json; call it *before* resolving, so that a rename
    /// racing with the resolution leaves a stamp that no longer matches.
    pub fn before(config_dir: &Path) -> Stamp {
        let path = config_dir.join("config.json");
        let id = FileId::of(&path);
        Stamp {
            config: (path, id),
            meta: None,
        }
    }

    /// Adds the meta.json of the context that `resolution` named.
    pub fn with_meta(mut self, resolution: &Resolution) -> Stamp {
        if resolution.name != DEFAULT_CONTEXT {
            let path = meta_path(&resolution.config_dir, &resolution.name);
            let id = FileId::of(&path);
            self.meta = Some((path, id));
        }
        self
    }

    /// Whether every file is still the one that was read.
    pub fn is_current(&self) -> bool {
        let same = |(path, id): &(PathBuf, Option<FileId>)| FileId::of(path) == *id;
        same(&self.config) && self.meta.as_ref().is_none_or(same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dctx_core::{resolve, Env, RealFs};

    fn env(dir: &Path) -> Env {
        Env::new([("DOCKER_CONFIG", dir.display().to_string())], None)
    }

    fn replace(path: &Path, text: &str) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    fn write_meta(dir: &Path, name: &str, host: &str) {
        let path = meta_path(dir, name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let meta = format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#
        );
        replace(&path, &meta);
    }

    #[test]
    fn a_replaced_config_json_or_meta_json_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        write_meta(dir.path(), "a", "tcp://a:1");
        replace(&config, r#"{"currentContext":"a"}"#);
        let stamp = Stamp::before(dir.path()).with_meta(&resolve(&env(dir.path()), &RealFs));
        assert!(stamp.is_current());

        write_meta(dir.path(), "a", "tcp://a:2");
        assert!(!stamp.is_current(), "meta.json replaced");

        let stamp = Stamp::before(dir.path()).with_meta(&resolve(&env(dir.path()), &RealFs));
        replace(&config, r#"{"currentContext":"b"}"#);
        assert!(!stamp.is_current(), "config.json replaced");

        let stamp = Stamp::before(dir.path()).with_meta(&resolve(&env(dir.path()), &RealFs));
        assert!(stamp.meta.as_ref().unwrap().1.is_none(), "b does not exist");
        write_meta(dir.path(), "b", "tcp://b:1");
        assert!(!stamp.is_current(), "the named context appeared");

        let stamp = Stamp::before(dir.path()).with_meta(&resolve(&env(dir.path()), &RealFs));
        std::fs::remove_file(&config).unwrap();
        assert!(!stamp.is_current(), "config.json removed");
    }

    #[test]
    fn the_default_context_depends_on_config_json_alone() {
        let dir = tempfile::tempdir().unwrap();
        let r = resolve(&env(dir.path()), &RealFs);
        assert_eq!(r.name, DEFAULT_CONTEXT);
        let stamp = Stamp::before(dir.path()).with_meta(&r);
        assert!(stamp.meta.is_none());
        assert!(stamp.is_current());
    }
}
