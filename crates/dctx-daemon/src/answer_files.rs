//! The files a cached answer was read from (config.json and the named
//! context's meta.json), by their [`FileId`]s, checked on every cache hit.
//! (Not the shells' stamps in `dctx-ipc`: those are files in the
//! runtime dir a hook tests; these are ids the daemon keeps in memory.)
//!
//! inotify tells the daemon about a change a little after it happened: the
//! event is read by notify's thread and handed to the watch task, which may
//! run after a query that arrives at once. A prompt drawn the moment
//! `docker context use` exits is exactly such a query. Docker replaces
//! config.json and meta.json by renaming a new file over the old one, so a
//! `stat` of each (a microsecond or two) shows the change before the event
//! does; inotify still covers everything a stat cannot see, such as a
//! context directory appearing. The ids are read through the daemon's
//! [`FileSystem`], so the cache's rules run against a fake world in tests.

use std::path::{Path, PathBuf};

use dctx_core::context_meta::meta_path;
use dctx_core::fs::FileId;
use dctx_core::resolution::DEFAULT_CONTEXT;
use dctx_core::{FileSystem, Resolution};

/// The files one resolution depends on, as they were when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFiles {
    config: (PathBuf, Option<FileId>),
    meta: Option<(PathBuf, Option<FileId>)>,
}

impl AnswerFiles {
    /// Stats config.json; call it *before* resolving, so that a rename
    /// racing with the resolution leaves ids that no longer match.
    pub fn before(fs: &dyn FileSystem, config_dir: &Path) -> AnswerFiles {
        let path = config_dir.join("config.json");
        let id = fs.id(&path);
        AnswerFiles {
            config: (path, id),
            meta: None,
        }
    }

    /// Adds the meta.json of the context that `resolution` named.
    pub fn with_meta(mut self, fs: &dyn FileSystem, resolution: &Resolution) -> AnswerFiles {
        if resolution.name != DEFAULT_CONTEXT {
            let path = meta_path(&resolution.config_dir, &resolution.name);
            let id = fs.id(&path);
            self.meta = Some((path, id));
        }
        self
    }

    /// Whether every file is still the one that was read.
    pub fn is_current(&self, fs: &dyn FileSystem) -> bool {
        let same = |(path, id): &(PathBuf, Option<FileId>)| fs.id(path) == *id;
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

    fn files(dir: &Path) -> AnswerFiles {
        AnswerFiles::before(&RealFs, dir).with_meta(&RealFs, &resolve(&env(dir), &RealFs))
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
        let answer = files(dir.path());
        assert!(answer.is_current(&RealFs));

        write_meta(dir.path(), "a", "tcp://a:2");
        assert!(!answer.is_current(&RealFs), "meta.json replaced");

        let answer = files(dir.path());
        replace(&config, r#"{"currentContext":"b"}"#);
        assert!(!answer.is_current(&RealFs), "config.json replaced");

        let answer = files(dir.path());
        assert!(
            answer.meta.as_ref().unwrap().1.is_none(),
            "b does not exist"
        );
        write_meta(dir.path(), "b", "tcp://b:1");
        assert!(!answer.is_current(&RealFs), "the named context appeared");

        let answer = files(dir.path());
        std::fs::remove_file(&config).unwrap();
        assert!(!answer.is_current(&RealFs), "config.json removed");
    }

    #[test]
    fn the_default_context_depends_on_config_json_alone() {
        let dir = tempfile::tempdir().unwrap();
        let r = resolve(&env(dir.path()), &RealFs);
        assert_eq!(r.name, DEFAULT_CONTEXT);
        let answer = AnswerFiles::before(&RealFs, dir.path()).with_meta(&RealFs, &r);
        assert!(answer.meta.is_none());
        assert!(answer.is_current(&RealFs));
    }
}
