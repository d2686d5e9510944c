//! Output files that appear only when complete: data goes to a temporary file in the target's
//! directory and is renamed over the target on success. On error the temporary file is removed,
//! and on Ctrl-C (or SIGTERM) the signal handler removes it before the process exits.

use anyhow::{Context, Result};
use std::fs::{File, FileTimes, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler that deletes unfinished outputs when the user interrupts `sigma`.
pub fn install_interrupt_cleanup() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(pending) = PENDING.lock() {
            for path in pending.iter() {
                let _ = std::fs::remove_file(path);
            }
        }
        std::process::exit(130);
    });
}

/// A file being written under a temporary name.
pub struct AtomicFile {
    temp: Option<tempfile::NamedTempFile>,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing what will become `target`.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".sigma-partial-")
            .tempfile_in(dir)
            .with_context(|| format!("{}: cannot create output", target.display()))?;
        PENDING
            .lock()
            .expect("cleanup list")
            .push(temp.path().to_path_buf());
        Ok(AtomicFile {
            temp: Some(temp),
            target: target.to_path_buf(),
        })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.temp
            .as_mut()
            .expect("open until committed")
            .as_file_mut()
    }

    /// Flushes to disk, gives the file the owner (where allowed) and permissions of `source`
    /// (the input, or the usual 0644 without one) and, if the input is a regular file, its
    /// access and modification times, as gzip, xz and zstd do; then renames it over the target
    /// (replacing an existing file only if `overwrite`).
    pub fn commit(mut self, overwrite: bool, source: Option<&Metadata>) -> Result<()> {
        let temp = self.temp.take().expect("open until committed");
        #[cfg(unix)]
        if let Some(source) = source {
            use std::os::unix::fs::MetadataExt;
            // Like gzip and zstd, and before the permissions (a change of owner clears set-id
            // bits). Only root may give a file away, so failing is normal and not reported.
            let _ =
                std::os::unix::fs::fchown(temp.as_file(), Some(source.uid()), Some(source.gid()));
        }
        let permissions = source.map_or_else(default_permissions, Metadata::permissions);
        temp.as_file()
            .set_permissions(permissions)
            .with_context(|| format!("{}: cannot set permissions", self.target.display()))?;
        if let Some(source) = source.filter(|m| m.is_file()) {
            let copy_times = || -> io::Result<()> {
                let times = FileTimes::new()
                    .set_accessed(source.accessed()?)
                    .set_modified(source.modified()?);
                temp.as_file().set_times(times)
            };
            copy_times().with_context(|| format!("{}: cannot set times", self.target.display()))?;
        }
        temp.as_file()
            .sync_all()
            .with_context(|| format!("{}: cannot write output", self.target.display()))?;
        let temp_path = temp.path().to_path_buf();
        let result = if overwrite {
            temp.persist(&self.target)
        } else {
            temp.persist_noclobber(&self.target)
        };
        forget(&temp_path);
        result
            .map_err(|e| e.error)
            .with_context(|| format!("{}: cannot create output", self.target.display()))?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let path = temp.path().to_path_buf();
            drop(temp); // removes the file
            forget(&path);
        }
    }
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> std::fs::Permissions {
    std::fs::metadata(".")
        .map(|m| m.permissions())
        .expect("current directory is readable")
}

fn forget(path: &Path) {
    if let Ok(mut pending) = PENDING.lock() {
        pending.retain(|p| p != path);
    }
}

/// Where a command's output goes.
pub enum Sink {
    /// Standard output.
    Stdout(io::StdoutLock<'static>),
    /// A file that appears when committed.
    File(AtomicFile),
    /// Nowhere (testing integrity).
    Null,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::File(f) => f.file().write(buf),
            Sink::Null => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File(f) => f.file().flush(),
            Sink::Null => Ok(()),
        }
    }
}
