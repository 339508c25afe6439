//! Reading the user's kubeconfig chain and merging new entries into it the way kubectl
//! places them (client-go `loader.go` / `config.go`), without losing fields kubectl drops.
//!
//! A file is held as a `serde_json::Map` parsed with serde-saphyr: key order and unknown
//! keys survive a read/write cycle. Comments survive where a merge is spliced into the text
//! (`splice.rs`), not where a file is rewritten whole (kubectl drops them always).

mod all_or_nothing;
mod chain;
mod error;
mod home;
mod lock;
mod merge;
mod paths;
mod plan;
mod raw_file;
mod rules;
mod section;
mod splice;
mod unlocked_read;
mod write;
mod yaml;

pub use all_or_nothing::write_all;
pub use chain::{Chain, Entry, KubeconfigFile, LEAN_MIN_BYTES};
pub use error::KubeconfigError;
pub use home::home_dir;
pub use merge::merge;
pub use plan::{MergeReport, MergeRequest};
pub use rules::LoadingRules;
pub use section::Section;
pub use write::{check_can_merge_into, write_new};
pub use yaml::to_yaml;
