//! A file of the chain read as bytes, before any parsing.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::KubeconfigError;
use crate::read_limit::{KUBECONFIG_LIMIT, read_at_most};

/// A file of the chain as read, not yet parsed: its bytes, `None` when it is not there.
pub(crate) struct RawFile {
    pub path: PathBuf,
    pub bytes: Option<Vec<u8>>,
}

impl RawFile {
    /// Reads `path`; a file that is not there (or a dangling symlink) is `None`, like
    /// client-go skips it.
    pub(crate) fn read(path: &Path) -> Result<RawFile, KubeconfigError> {
        let read_error = |source: io::Error| KubeconfigError::Read {
            path: path.to_path_buf(),
            error: source,
        };
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(RawFile {
                    path: path.to_path_buf(),
                    bytes: None,
                });
            }
            Err(e) => return Err(read_error(e)),
        };
        if meta.is_dir() {
            return Err(KubeconfigError::IsDirectory {
                path: path.to_path_buf(),
            });
        }
        Ok(RawFile {
            path: path.to_path_buf(),
            bytes: Some(read_at_most(path, KUBECONFIG_LIMIT).map_err(read_error)?),
        })
    }
}
