//! Reading whole files that should be small, with a limit: a kubeconfig or CA path that
//! names an endless file (`/dev/zero`, a FIFO that never closes its data) must end in an
//! error, not in memory running out. FIFOs and other special files still work: the limit
//! is on what is read, not on the kind of file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Kubeconfigs: ten times the 10,000-context file of the benchmarks (26.8 MB).
pub(crate) const KUBECONFIG_LIMIT: u64 = 256 * 1024 * 1024;
/// CA bundles: a system trust store is well under 1 MiB.
pub(crate) const CA_LIMIT: u64 = 16 * 1024 * 1024;

/// The whole of `path`, or an error once more than `limit` bytes have been read.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "the file is larger than {} MiB",
            limit / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, vec![b'x'; 2 * 1024 * 1024]).unwrap();
        assert_eq!(read_at_most(&f, 2 * 1024 * 1024).unwrap().len(), 2 * 1024 * 1024);
        let err = read_at_most(&f, 1024 * 1024).unwrap_err();
        assert_eq!(err.to_string(), "the file is larger than 1 MiB");
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_file_ends_in_an_error() {
        let err = read_at_most(Path::new("/dev/zero"), 1024 * 1024).unwrap_err();
        assert_eq!(err.to_string(), "the file is larger than 1 MiB");
    }
}
