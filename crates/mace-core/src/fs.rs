//! Files and folders that never half-exist and never replace what they should not.
//!
//! Every output of the workspace goes through here:
//! - [`write_file`] writes a temporary file beside the destination and renames it into place, so
//!   a reader never sees a torn file and an interrupted write leaves the old one intact. It
//!   replaces an existing regular file only when asked to (`force`), writes through to a device
//!   or a pipe (`/dev/null`, a FIFO) instead of renaming over it, follows a symbolic link to its
//!   target (the link stays), and refuses a folder.
//! - [`OutputDir`] builds a results folder under a temporary name beside its destination and
//!   renames it into place whole ([`OutputDir::publish`]); an existing folder is swapped out in
//!   one step (Linux `renameat2(RENAME_EXCHANGE)`) only when asked to. A folder left by a killed
//!   run is named `.NAME.partial-PID-N`: recognisably incomplete, never mistaken for a result.
//! - [`read_file`] reads regular files only, up to a size limit checked before reading: a FIFO
//!   or `/dev/zero` given as input is refused by name instead of blocking or filling memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What went wrong with a file or folder; every variant names the path.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum FileError {
    /// The destination exists and replacing it was not asked for.
    #[error("{} already exists (--force replaces it)", .path.display())]
    Exists {
        /// The existing file or folder.
        path: PathBuf,
    },
    /// A file was expected but the path is a folder.
    #[error("{} is a folder, not a file", .path.display())]
    IsDir {
        /// The folder.
        path: PathBuf,
    },
    /// A folder was expected but the path is something else.
    #[error("{} exists and is not a folder", .path.display())]
    NotADir {
        /// The path.
        path: PathBuf,
    },
    /// An input is not a regular file (a FIFO, a device, a socket): reading it could block or
    /// never end.
    #[error("{} is not a regular file ({kind}); give a file", .path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// An input is larger than the reader accepts.
    #[error("{} is {size} bytes, more than the {limit} this reader accepts", .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// An operating-system error.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder the operation was on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl FileError {
    fn io(path: &Path, source: std::io::Error) -> FileError {
        FileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Result with [`FileError`].
pub type FileResult<T> = std::result::Result<T, FileError>;

/// Default size limit of [`read_file`] for text inputs (scenes, configurations, JSON records):
/// 256 MiB.
pub const TEXT_LIMIT: u64 = 256 << 20;

/// Where a write must go, after looking at what is at the destination.
enum Destination {
    /// Nothing there: create it.
    Missing(PathBuf),
    /// A regular file (possibly reached through a symbolic link): replace it, if allowed.
    File(PathBuf),
    /// A device, FIFO or socket: write through.
    Stream(PathBuf),
}

fn destination(path: &Path) -> FileResult<Destination> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(Destination::Missing(path.to_path_buf()))
        }
        Err(e) => Err(FileError::io(path, e)),
        Ok(link) => {
            let meta = if link.file_type().is_symlink() {
                std::fs::metadata(path).map_err(|e| {
                    FileError::io(
                        path,
                        std::io::Error::new(e.kind(), format!("dangling symbolic link: {e}")),
                    )
                })?
            } else {
                link
            };
            let real = if meta.is_file() || meta.is_dir() {
                std::fs::canonicalize(path).map_err(|e| FileError::io(path, e))?
            } else {
                path.to_path_buf()
            };
            if meta.is_dir() {
                Err(FileError::IsDir {
                    path: path.to_path_buf(),
                })
            } else if meta.is_file() {
                Ok(Destination::File(real))
            } else {
                Ok(Destination::Stream(real))
            }
        }
    }
}

/// Checks, before any long work, that `path` can be written: nothing there, a device or pipe,
/// or (with `force`) a regular file.
///
/// # Errors
/// [`FileError::Exists`] for an existing file without `force`, [`FileError::IsDir`] for a folder.
pub fn check_writable(path: &Path, force: bool) -> FileResult<()> {
    match destination(path)? {
        Destination::File(_) if !force => Err(FileError::Exists {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name beside `path` for a temporary file or folder of this process: `.NAME.TAG-PID-N`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        ".{name}.{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn create_parent(path: &Path) -> FileResult<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| FileError::io(dir, e))?;
    }
    Ok(())
}

/// Writes `bytes` to `path`: atomically through a temporary file and a rename for a new or
/// (with `force`) an existing regular file; straight through for a device or pipe. Creates the
/// parent folder if needed. A symbolic link is followed (its target is replaced, the link kept).
///
/// # Errors
/// [`FileError::Exists`] for an existing regular file without `force` (it is left untouched),
/// [`FileError::IsDir`] for a folder, [`FileError::Io`] naming the path for anything the system
/// refuses (a full disk, no permission); the temporary file is removed on failure.
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> FileResult<()> {
    let (target, replace) = match destination(path)? {
        Destination::Stream(p) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(|e| FileError::io(path, e))?;
            return f
                .write_all(bytes)
                .and_then(|()| f.flush())
                .map_err(|e| FileError::io(path, e));
        }
        Destination::File(_) if !force => {
            return Err(FileError::Exists {
                path: path.to_path_buf(),
            })
        }
        Destination::File(p) => (p, true),
        Destination::Missing(p) => (p, false),
    };
    create_parent(&target)?;
    let tmp = sibling(&target, "tmp");
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(FileError::io(path, e));
    }
    let renamed = if replace {
        std::fs::rename(&tmp, &target)
    } else {
        rename_no_replace(&tmp, &target)
    };
    renamed.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            FileError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            FileError::io(path, e)
        }
    })
}

/// Writes `value` as pretty-printed JSON (with a final newline) through [`write_file`].
///
/// # Errors
/// As [`write_file`]; serialisation errors as [`FileError::Io`].
pub fn write_json<T: serde::Serialize + ?Sized>(
    path: &Path,
    value: &T,
    force: bool,
) -> FileResult<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| FileError::io(path, std::io::Error::other(e)))?;
    text.push('\n');
    write_file(path, text.as_bytes(), force)
}

/// Renames `from` to `to` unless `to` exists (then `AlreadyExists`), where the file system
/// supports it; elsewhere a plain rename after a check.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::EXIST => {
                return Err(std::io::ErrorKind::AlreadyExists.into())
            }
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    std::fs::rename(from, to)
}

/// Swaps two paths in one step where the file system supports it (Linux), else moves `to`
/// aside first; returns where the old `to` now is.
fn swap_into_place(from: &Path, to: &Path) -> std::io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(from.to_path_buf()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    let old = sibling(to, "old");
    std::fs::rename(to, &old)?;
    std::fs::rename(from, to)?;
    Ok(old)
}

/// A results folder that appears whole or not at all.
///
/// Create it with [`OutputDir::new`] before the work (it refuses an existing folder without
/// `force` at once, not after an hour of training), write each version of the results into a
/// fresh [`OutputDir::stage`] folder, then [`OutputDir::publish`] it. Publishing again (a
/// training run saving each improvement) swaps the new version in atomically.
///
/// ```
/// # let root = std::env::temp_dir().join(format!("mace-doc-outdir-{}", std::process::id()));
/// use mace_core::fs::{write_file, OutputDir};
/// let out = OutputDir::new(&root.join("run"), false)?;
/// let stage = out.stage()?;
/// write_file(&stage.path().join("report.json"), b"{}", false)?;
/// out.publish(stage)?;
/// assert!(root.join("run/report.json").is_file());
/// assert!(OutputDir::new(&root.join("run"), false).is_err()); // used: refused without force
/// # std::fs::remove_dir_all(&root).ok();
/// # Ok::<(), mace_core::fs::FileError>(())
/// ```
#[derive(Debug)]
pub struct OutputDir {
    dest: PathBuf,
    /// Replacing what is at `dest` is allowed (asked for, or this run put it there).
    replace: std::sync::atomic::AtomicBool,
}

impl OutputDir {
    /// A results folder at `dest`.
    ///
    /// # Errors
    /// [`FileError::Exists`] if `dest` exists and `force` is not set; [`FileError::NotADir`] if
    /// it is not a folder (even with `force`: a file is never replaced by a folder).
    pub fn new(dest: &Path, force: bool) -> FileResult<OutputDir> {
        match std::fs::symlink_metadata(dest) {
            Ok(m) if !m.is_dir() => {
                return Err(FileError::NotADir {
                    path: dest.to_path_buf(),
                })
            }
            Ok(_) if !force => {
                return Err(FileError::Exists {
                    path: dest.to_path_buf(),
                })
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(FileError::io(dest, e)),
        }
        Ok(OutputDir {
            dest: dest.to_path_buf(),
            replace: force.into(),
        })
    }

    /// The destination folder.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// A fresh, empty staging folder beside the destination (`.NAME.partial-PID-N`), removed
    /// when dropped unless published.
    ///
    /// # Errors
    /// [`FileError::Io`] if the folder cannot be created.
    pub fn stage(&self) -> FileResult<Staging> {
        create_parent(&self.dest)?;
        let path = sibling(&self.dest, "partial");
        std::fs::create_dir(&path).map_err(|e| FileError::io(&path, e))?;
        Ok(Staging { path: Some(path) })
    }

    /// Moves `staging` into place as the destination, whole: a plain rename if nothing is
    /// there, else an atomic swap (when replacing is allowed) after which the old folder is
    /// removed.
    ///
    /// # Errors
    /// [`FileError::Exists`] if a folder appeared at the destination meanwhile and replacing was
    /// not asked for; [`FileError::Io`] naming the destination otherwise.
    pub fn publish(&self, mut staging: Staging) -> FileResult<()> {
        let Some(from) = staging.path.take() else {
            return Ok(());
        };
        let result = match rename_no_replace(&from, &self.dest) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if self.replace.load(Ordering::Relaxed) {
                    swap_into_place(&from, &self.dest)
                        .and_then(std::fs::remove_dir_all)
                        .map_err(|e| FileError::io(&self.dest, e))
                } else {
                    Err(FileError::Exists {
                        path: self.dest.clone(),
                    })
                }
            }
            Err(e) => Err(FileError::io(&self.dest, e)),
        };
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&from);
        } else {
            // This run's own results may be replaced by its later versions.
            self.replace.store(true, Ordering::Relaxed);
        }
        result
    }
}

/// A staging folder of an [`OutputDir`]; removed on drop unless published.
#[derive(Debug)]
pub struct Staging {
    path: Option<PathBuf>,
}

impl Staging {
    /// The folder to write into.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Reads the regular file `path` whole, refusing anything larger than `limit` bytes before
/// reading it, and anything that is not a regular file (a FIFO would block, `/dev/zero` never
/// ends).
///
/// # Errors
/// [`FileError::NotRegular`], [`FileError::IsDir`], [`FileError::TooLarge`], or
/// [`FileError::Io`] naming the path (e.g. not found).
pub fn read_file(path: &Path, limit: u64) -> FileResult<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
    check_regular(path, &meta)?;
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let f = std::fs::File::open(path).map_err(|e| FileError::io(path, e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take`: a file that grows while being read still stops at the limit.
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Reads the regular file `path` as UTF-8 text, at most `limit` bytes (see [`read_file`]).
///
/// # Errors
/// As [`read_file`]; invalid UTF-8 as [`FileError::Io`].
pub fn read_text(path: &Path, limit: u64) -> FileResult<String> {
    String::from_utf8(read_file(path, limit)?).map_err(|e| {
        FileError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text ({e})"),
            ),
        )
    })
}

/// Checks that `path` (already looked up as `meta`) is a regular file.
///
/// # Errors
/// [`FileError::IsDir`] or [`FileError::NotRegular`].
pub fn check_regular(path: &Path, meta: &std::fs::Metadata) -> FileResult<()> {
    if meta.is_file() {
        return Ok(());
    }
    if meta.is_dir() {
        return Err(FileError::IsDir {
            path: path.to_path_buf(),
        });
    }
    #[cfg(unix)]
    let kind = {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO"
        } else if t.is_char_device() {
            "a character device"
        } else if t.is_block_device() {
            "a block device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a file"
        }
    };
    #[cfg(not(unix))]
    let kind = "not a file";
    Err(FileError::NotRegular {
        path: path.to_path_buf(),
        kind,
    })
}

/// Opens the regular file `path` for reading (for readers that stream), refusing FIFOs and
/// devices; returns the file and its size in bytes.
///
/// # Errors
/// As [`check_regular`]; [`FileError::Io`] naming the path.
pub fn open_regular(path: &Path) -> FileResult<(std::fs::File, u64)> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
    check_regular(path, &meta)?;
    let f = std::fs::File::open(path).map_err(|e| FileError::io(path, e))?;
    Ok((f, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mace-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_file_is_replaced_only_when_asked() {
        let d = scratch("replace");
        let p = d.join("a.json");
        write_file(&p, b"one", false).unwrap();
        assert!(matches!(
            write_file(&p, b"two", false),
            Err(FileError::Exists { .. })
        ));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_file(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let leftovers = std::fs::read_dir(&d).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn folders_are_refused_and_left_clean() {
        let d = scratch("dir");
        let e = write_file(&d, b"x", true).unwrap_err();
        assert!(matches!(e, FileError::IsDir { .. }), "{e}");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        let parent_entries = |p: &Path| {
            std::fs::read_dir(p.parent().unwrap())
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .contains(&*d.file_name().unwrap().to_string_lossy())
                })
                .count()
        };
        assert_eq!(
            parent_entries(&d),
            1,
            "no stray temporary beside the folder"
        );
        std::fs::remove_dir_all(d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_kept() {
        let d = scratch("link");
        let real = d.join("real.txt");
        std::fs::write(&real, b"old").unwrap();
        let link = d.join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_file(&link, b"new", true).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        std::fs::remove_dir_all(d).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_written_through() {
        use std::os::unix::fs::FileTypeExt;
        write_file(Path::new("/dev/null"), b"x", false).unwrap();
        let kind = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/null is still a device");
        let e = write_file(Path::new("/dev/full"), b"x", false).unwrap_err();
        assert!(e.to_string().contains("/dev/full"), "{e}");
    }

    #[test]
    fn output_dirs_appear_whole_and_replace_only_when_asked() {
        let d = scratch("outdir");
        let dest = d.join("run");
        let out = OutputDir::new(&dest, false).unwrap();
        {
            let s = out.stage().unwrap();
            write_file(&s.path().join("a"), b"1", false).unwrap();
            // dropped unpublished: nothing appears
        }
        assert!(!dest.exists());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        let s = out.stage().unwrap();
        write_file(&s.path().join("a"), b"1", false).unwrap();
        out.publish(s).unwrap();
        // the same run publishes a second version over its first
        let s = out.stage().unwrap();
        write_file(&s.path().join("b"), b"2", false).unwrap();
        out.publish(s).unwrap();
        assert!(!dest.join("a").exists() && dest.join("b").is_file());
        assert!(matches!(
            OutputDir::new(&dest, false),
            Err(FileError::Exists { .. })
        ));
        let again = OutputDir::new(&dest, true).unwrap();
        let s = again.stage().unwrap();
        write_file(&s.path().join("c"), b"3", false).unwrap();
        again.publish(s).unwrap();
        let names: Vec<_> = std::fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("c")]);
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no stray folders"
        );
        let file = d.join("f");
        std::fs::write(&file, b"keep").unwrap();
        assert!(matches!(
            OutputDir::new(&file, true),
            Err(FileError::NotADir { .. })
        ));
        std::fs::remove_dir_all(d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn reading_refuses_fifos_devices_and_huge_files() {
        let e = read_file(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(matches!(e, FileError::NotRegular { .. }), "{e}");
        let d = scratch("read");
        let p = d.join("big");
        std::fs::write(&p, vec![b'a'; 100]).unwrap();
        assert!(matches!(
            read_file(&p, 99),
            Err(FileError::TooLarge { size: 100, .. })
        ));
        assert_eq!(read_file(&p, 100).unwrap().len(), 100);
        let e = read_text(&d, 10).unwrap_err();
        assert!(matches!(e, FileError::IsDir { .. }), "{e}");
        std::fs::remove_dir_all(d).unwrap();
    }
}
