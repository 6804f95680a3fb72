//! The compiled-component cache: compiling a component takes a hundred
//! milliseconds or more, loading the compiled artifact a fraction of one.
//!
//! A cache entry is native code that runs as it is, so the host trusts
//! none it cannot prove it wrote for this component:
//! - the directory must belong to the current user and be writable by no
//!   one else (else the cache is not used, with a warning);
//! - entries are opened without following symbolic links, and only if they
//!   belong to the current user and are writable by no one else;
//! - each entry starts with an HMAC-SHA256, under a key kept outside the
//!   cache (`<cache dir>.key`, created with mode 0600), of the component's
//!   SHA-256, the engine's compatibility hash and the compiled code: an
//!   entry copied from another component, or written by anyone without the
//!   key, fails it and is compiled afresh.

use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Bytes of an entry's MAC, before the compiled code.
const MAC_BYTES: usize = 32;

/// Where compiled components are kept, keyed by content and engine.
#[derive(Debug, Clone)]
pub(crate) struct ComponentCache {
    dir: PathBuf,
    key: [u8; 32],
}

impl ComponentCache {
    /// The cache in `dir` (created, private, if needed), or none with a
    /// warning when the directory or its key cannot be trusted.
    pub(crate) fn open(dir: PathBuf) -> Option<Self> {
        match trusted_dir(&dir).and_then(|()| key(&dir)) {
            Ok(key) => Some(ComponentCache { dir, key }),
            Err(e) => {
                tracing::warn!(
                    "not using the component cache {}: {e}; components are compiled on each load",
                    dir.display()
                );
                None
            }
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// A compiled component, from the cache when a trusted entry is there.
    /// The key is the content hash plus the engine's compatibility hash,
    /// so a new wasmtime or new compiler settings never load a stale
    /// artifact.
    pub(crate) fn compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<Component, String> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let compatibility = format!("{:016x}", hasher.finish());
        let path = self.dir.join(format!("{sha256}-{compatibility}.cwasm"));
        let tag = |code: &[u8]| {
            hmac_sha256(
                &self.key,
                &[
                    sha256.as_bytes(),
                    b"\0",
                    compatibility.as_bytes(),
                    b"\0",
                    code,
                ],
            )
        };
        match read_entry(&path) {
            Ok(Some(entry)) if entry.len() > MAC_BYTES => {
                let (mac, code) = entry.split_at(MAC_BYTES);
                if constant_time_eq(mac, &tag(code)) {
                    // SAFETY: `code` is what this host compiled for this
                    // component with this engine: the MAC under a key only
                    // this user can read proves it, and the file was read
                    // whole into memory before the check, so it cannot
                    // change after; wasmtime re-checks the header too.
                    match unsafe { Component::deserialize(engine, code) } {
                        Ok(component) => return Ok(component),
                        Err(e) => tracing::warn!(
                            "discarding unusable cache entry {}: {e:#}",
                            path.display()
                        ),
                    }
                } else {
                    tracing::warn!(
                        "discarding cache entry {}: it is not one this host wrote for this \
                         component",
                        path.display()
                    );
                }
            }
            Ok(Some(_)) => tracing::warn!("discarding truncated cache entry {}", path.display()),
            Ok(None) => {}
            Err(e) => tracing::warn!("discarding cache entry {}: {e}", path.display()),
        }
        let compiled = engine
            .precompile_component(bytes)
            .map_err(|e| format!("{e:#}"))?;
        let mut entry = tag(&compiled).to_vec();
        entry.extend_from_slice(&compiled);
        if let Err(e) = write_atomically(&self.dir, &path, &entry) {
            tracing::warn!(
                "could not cache the compiled component in {}: {e}",
                self.dir.display()
            );
        }
        // SAFETY: `compiled` was produced just now by this engine.
        unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| format!("{e:#}"))
    }
}

/// Compiles a component without a cache.
pub(crate) fn compile_uncached(engine: &Engine, bytes: &[u8]) -> Result<Component, String> {
    Component::new(engine, bytes).map_err(|e| format!("{e:#}"))
}

/// The SHA-256 of `bytes`, in hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The current user's id.
fn current_user() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Fails unless `metadata` belongs to the current user and no one else may
/// write to it.
fn owned_privately(metadata: &std::fs::Metadata, what: &str) -> std::io::Result<()> {
    if metadata.uid() != current_user() {
        return Err(std::io::Error::other(format!(
            "the {what} belongs to another user"
        )));
    }
    if metadata.mode() & 0o022 != 0 {
        return Err(std::io::Error::other(format!(
            "other users may write to the {what} (remove their write permission: chmod go-w)"
        )));
    }
    Ok(())
}

/// Creates `dir` (mode 0700) if missing, and checks that it is a real
/// directory of the current user's that no one else may write to.
fn trusted_dir(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let metadata = std::fs::symlink_metadata(dir)?;
    if !metadata.is_dir() {
        return Err(std::io::Error::other(
            "it is not a directory (or is a link)",
        ));
    }
    owned_privately(&metadata, "directory")
}

/// The cache's key, in `<dir>.key`: read, or created (mode 0600) with
/// random bytes. A key file others could read or write is refused.
fn key(dir: &Path) -> std::io::Result<[u8; 32]> {
    let mut path = dir.as_os_str().to_owned();
    path.push(".key");
    let path = PathBuf::from(path);
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path);
    match created {
        Ok(mut file) => {
            let key: [u8; 32] = rand::random();
            file.write_all(&key)?;
            file.sync_all()?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut file = open_private(&path)?;
            if file.metadata()?.mode() & 0o077 != 0 {
                return Err(std::io::Error::other(format!(
                    "other users may read or write the key {} (chmod 600 it)",
                    path.display()
                )));
            }
            let mut key = [0; 32];
            file.read_exact(&mut key)?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// Opens `path` for reading without following a link, if it belongs to
/// the current user and no one else may write to it.
fn open_private(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    owned_privately(&metadata, "file")?;
    Ok(file)
}

/// The whole entry at `path`; none when there is no entry.
fn read_entry(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = match open_private(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut entry = Vec::new();
    file.read_to_end(&mut entry)?;
    Ok(Some(entry))
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts` under `key` (at most
/// one block long).
fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut padded = [0u8; 64];
    padded[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| padded.map(|k| k ^ byte);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Whether `a` and `b` are equal, in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231, its key padded with zeros to 32 bytes
        // (HMAC pads a short key the same way).
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = hmac_sha256(&key, &[b"what do ya want ", b"for nothing?"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(constant_time_eq(&mac, &mac));
        assert!(!constant_time_eq(&mac, &[0; 32]));
    }

    #[test]
    fn a_directory_others_may_write_to_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("cache");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(ComponentCache::open(open.clone()).is_none());
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(ComponentCache::open(open.clone()).is_some());
        // The key was made private, outside the cache.
        let key = std::fs::metadata(dir.path().join("cache.key")).unwrap();
        assert_eq!(key.mode() & 0o777, 0o600);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&open, &link).unwrap();
        assert!(
            ComponentCache::open(link).is_none(),
            "a link is not a directory"
        );
    }
}
