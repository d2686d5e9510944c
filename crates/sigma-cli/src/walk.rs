//! `-r`: turns the directories named on the command line into the files under them that the
//! operation applies to, the way `gzip -r` and `zstd -r` do.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A directory, or an entry of one, that could not be read.
#[derive(Debug)]
pub struct Unreadable {
    pub path: PathBuf,
    pub error: io::Error,
}

/// Replaces each directory in `operands` by the regular files under it that `wanted` takes
/// (the caller picks by the suffix: compressing takes the files without it, the others those
/// with it), depth first and in byte order of their names within a directory, so the order does not depend
/// on the file system. Operands that are not directories (including `-`, or a path that does not
/// exist) stay as they are, for the caller to process or report. A symbolic link named on the
/// command line is followed; links found inside a directory are not (no cycles, no leaving the
/// tree), nor are devices, pipes and sockets taken.
pub fn expand(
    operands: &[PathBuf],
    wanted: impl Fn(&Path) -> bool,
) -> (Vec<PathBuf>, Vec<Unreadable>) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for operand in operands {
        let is_dir = operand.as_os_str() != "-" && fs::metadata(operand).is_ok_and(|m| m.is_dir());
        if is_dir {
            walk(operand, &wanted, &mut files, &mut unreadable);
        } else {
            files.push(operand.clone());
        }
    }
    (files, unreadable)
}

fn walk(
    dir: &Path,
    wanted: &impl Fn(&Path) -> bool,
    files: &mut Vec<PathBuf>,
    unreadable: &mut Vec<Unreadable>,
) {
    let entries = match fs::read_dir(dir).and_then(|list| list.collect::<io::Result<Vec<_>>>()) {
        Ok(entries) => entries,
        Err(error) => {
            unreadable.push(Unreadable {
                path: dir.to_path_buf(),
                error,
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries
        .into_iter()
        .map(|entry| (entry.path(), entry.file_type()))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        match kind {
            Ok(kind) if kind.is_dir() => walk(&path, wanted, files, unreadable),
            Ok(kind) if kind.is_file() && wanted(&path) => files.push(path),
            Ok(_) => {}
            Err(error) => unreadable.push(Unreadable { path, error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compressed(path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "sigma")
    }

    #[test]
    fn directories_become_their_wanted_files_in_name_order() {
        let root = tempfile::tempdir().unwrap();
        let at = |name: &str| root.path().join(name);
        fs::create_dir_all(at("d/b")).unwrap();
        fs::create_dir_all(at("d/a")).unwrap();
        for name in ["d/z.txt", "d/b/y", "d/a/x.sigma", "d/a/w", "top"] {
            fs::write(at(name), name).unwrap();
        }
        let operands = [at("top"), at("d"), PathBuf::from("-"), at("missing")];

        let (plain, unreadable) = expand(&operands, |p| !compressed(p));
        assert!(unreadable.is_empty());
        assert_eq!(
            plain,
            [
                at("top"),
                at("d/a/w"),
                at("d/b/y"),
                at("d/z.txt"),
                PathBuf::from("-"),
                at("missing")
            ]
        );

        let (compressed, _) = expand(&[at("d")], compressed);
        assert_eq!(compressed, [at("d/a/x.sigma")]);
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_a_tree_are_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let at = |name: &str| root.path().join(name);
        fs::create_dir_all(at("d")).unwrap();
        fs::write(at("d/real"), "text").unwrap();
        std::os::unix::fs::symlink(at("d/real"), at("d/link")).unwrap();
        std::os::unix::fs::symlink(at("d"), at("d/loop")).unwrap();
        std::os::unix::fs::symlink(at("d"), at("named")).unwrap();
        assert_eq!(expand(&[at("d")], |_| true).0, [at("d/real")]);
        assert_eq!(expand(&[at("named")], |_| true).0, [at("named/real")]);
    }
}
