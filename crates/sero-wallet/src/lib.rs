//! The SERO wallet keystore: an account's 32-byte seed encrypted under a
//! passphrase, in a small JSON file.
//!
//! # Format (version 1)
//!
//! ```json
//! {
//!   "version": 1,
//!   "pk": "<the payment address PK, typed base58>",
//!   "kdf": "argon2id",
//!   "kdf_params": { "m_cost": 65536, "t_cost": 3, "p_cost": 1 },
//!   "salt": "<16 bytes, hex>",
//!   "nonce": "<12 bytes, hex>",
//!   "ciphertext": "<48 bytes, hex>"
//! }
//! ```
//!
//! * `key = Argon2id(password = passphrase (UTF-8 bytes, not normalised),
//!   salt, m_cost KiB, t_cost passes, p_cost lanes, version 0x13, 32 bytes)`.
//!   New keystores use m_cost = 65536 (64 MiB), t_cost = 3, p_cost = 1;
//!   lower values are only written by [`Keystore::create_with_params`] (for
//!   tests). The parameters are stored, so a file is always read with the
//!   ones it was written with.
//! * `ciphertext = ChaCha20-Poly1305(key, nonce, plaintext = seed (32 bytes),
//!   aad = "SERO keystore v1" ‖ PK bytes (ZPK ‖ VPK, 64 bytes))`: 32 bytes of
//!   encrypted seed followed by the 16-byte tag.
//! * `pk` is public and in clear, so a wallet can show its payment address
//!   without the passphrase; the AAD binds it to the ciphertext, and after
//!   decryption the seed must derive that same PK.
//! * Salt and nonce are fresh from the OS RNG for every file written.
//!
//! Reading checks, in this order: the JSON is an object whose `version` is
//! 1 ([`WalletError::UnsupportedVersion`]) and whose `kdf` is `"argon2id"`
//! ([`WalletError::UnsupportedKdf`]); then every field is present, of the
//! right type and length, with no unknown field ([`WalletError::Malformed`]).
//! Unlocking fails with [`WalletError::WrongPassphrase`] when the AEAD tag
//! does not verify: a wrong passphrase, or any change to the salt, the KDF
//! parameters, the nonce, the ciphertext or the PK (the two causes cannot be
//! told apart). A seed that decrypts but does not derive the stored PK is
//! [`WalletError::PkMismatch`].
//!
//! [`Keystore::save`] and [`Keystore::load`] are the only functions doing
//! IO. Saving writes a temporary file in the target's folder (mode 0600 on
//! Unix), syncs it and renames it over the target, so a reader sees the old
//! file or the new one, never a partial one.

pub mod fuzz;
pub mod pending;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use rand_core::{CryptoRng, OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sero_keys::{PaymentAddress, SecretKey, Seed};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The keystore format version this crate reads and writes.
pub const VERSION: u64 = 1;
/// The only key derivation function of version 1.
pub const KDF: &str = "argon2id";
/// The constant prefix of the AEAD associated data (the PK bytes follow).
pub const AAD_PREFIX: &[u8] = b"SERO keystore v1";
/// Salt length in bytes.
pub const SALT_LEN: usize = 16;
/// ChaCha20-Poly1305 nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// Ciphertext length: the 32-byte seed and the 16-byte tag.
pub const CIPHERTEXT_LEN: usize = 32 + 16;

/// Largest `m_cost` (KiB) accepted when reading: 4 GiB. A keystore cannot
/// make the wallet allocate more.
pub const MAX_M_COST: u32 = 4 * 1024 * 1024;
/// Largest `t_cost` accepted when reading.
pub const MAX_T_COST: u32 = 64;
/// Largest `p_cost` accepted when reading.
pub const MAX_P_COST: u32 = 64;
/// Largest keystore file read (a real one is under 400 bytes).
const MAX_FILE_LEN: u64 = 64 * 1024;

/// Why a keystore could not be read, written or unlocked.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The AEAD tag did not verify.
    #[error(
        "wrong passphrase (decryption failed; if the passphrase is right, \
         the keystore file has been modified)"
    )]
    WrongPassphrase,
    /// Not a keystore: bad JSON, a missing or mistyped field, bad hex, a
    /// wrong length, an unknown field, invalid KDF parameters.
    #[error("malformed keystore: {0}")]
    Malformed(String),
    #[error("unsupported keystore version {0} (this build reads version {VERSION})")]
    UnsupportedVersion(u64),
    #[error("unsupported key derivation function {0:?} (this build reads \"{KDF}\")")]
    UnsupportedKdf(String),
    /// The seed decrypted but does not derive the stored PK.
    #[error("the decrypted seed does not derive the keystore's payment address: the file was tampered with")]
    PkMismatch,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn malformed(m: impl Into<String>) -> WalletError {
    WalletError::Malformed(m.into())
}

/// Argon2id cost parameters: memory in KiB, passes, lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// The parameters of every keystore [`Keystore::create`] writes:
    /// 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: KdfParams = KdfParams {
        m_cost: 65536,
        t_cost: 3,
        p_cost: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>, WalletError> {
        if self.m_cost > MAX_M_COST || self.t_cost > MAX_T_COST || self.p_cost > MAX_P_COST {
            return Err(malformed(format!(
                "kdf_params {self:?} above the limits (m_cost ≤ {MAX_M_COST}, \
                 t_cost ≤ {MAX_T_COST}, p_cost ≤ {MAX_P_COST})"
            )));
        }
        let params = Params::new(self.m_cost, self.t_cost, self.p_cost, Some(32))
            .map_err(|e| malformed(format!("kdf_params {self:?}: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The 32-byte key for `passphrase` and `salt`.
    fn derive(&self, passphrase: &str, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, WalletError> {
        let mut key = Zeroizing::new([0u8; 32]);
        self.argon2()?
            .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
            .map_err(|e| malformed(format!("argon2id: {e}")))?;
        Ok(key)
    }
}

/// An encrypted account seed with its public payment address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystore {
    pk: PaymentAddress,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; CIPHERTEXT_LEN],
}

/// The JSON form, field for field.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    version: u64,
    pk: String,
    kdf: String,
    kdf_params: KdfParams,
    salt: String,
    nonce: String,
    ciphertext: String,
}

fn aad(pk: &PaymentAddress) -> Vec<u8> {
    let mut a = AAD_PREFIX.to_vec();
    a.extend_from_slice(&pk.to_bytes());
    a
}

fn hex_array<const N: usize>(field: &str, s: &str) -> Result<[u8; N], WalletError> {
    let bytes = hex::decode(s).map_err(|e| malformed(format!("{field}: {e}")))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| malformed(format!("{field}: {} bytes, expected {N}", b.len())))
}

impl Keystore {
    /// Encrypts `seed` under `passphrase` with [`KdfParams::DEFAULT`] and a
    /// fresh salt and nonce from the OS RNG.
    pub fn create(seed: &Seed, passphrase: &str) -> Keystore {
        Self::create_with_params(seed, passphrase, KdfParams::DEFAULT, &mut OsRng)
            .expect("the default parameters are valid")
    }

    /// [`Keystore::create`] with chosen Argon2id parameters and RNG. Meant
    /// for tests, which use cheap parameters (e.g. `m_cost` 256) to stay
    /// fast; a real wallet uses [`Keystore::create`].
    pub fn create_with_params<R: RngCore + CryptoRng>(
        seed: &Seed,
        passphrase: &str,
        params: KdfParams,
        rng: &mut R,
    ) -> Result<Keystore, WalletError> {
        let pk = SecretKey::from_seed(seed).payment_address();
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut salt);
        rng.fill_bytes(&mut nonce);
        Self::seal(seed, pk, passphrase, params, salt, nonce)
    }

    /// Encrypts `seed` and records `pk` (which [`Keystore::create`] derives
    /// from the seed; tests pass another one).
    fn seal(
        seed: &Seed,
        pk: PaymentAddress,
        passphrase: &str,
        params: KdfParams,
        salt: [u8; SALT_LEN],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Keystore, WalletError> {
        let key = params.derive(passphrase, &salt)?;
        let ct = ChaCha20Poly1305::new(key.as_ref().into())
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: seed.as_bytes(),
                    aad: &aad(&pk),
                },
            )
            .expect("ChaCha20-Poly1305 encrypts 32 bytes");
        Ok(Keystore {
            pk,
            params,
            salt,
            nonce,
            ciphertext: ct.try_into().expect("32-byte plaintext + 16-byte tag"),
        })
    }

    /// The payment address, readable without the passphrase.
    pub fn payment_address(&self) -> PaymentAddress {
        self.pk
    }

    /// The Argon2id parameters this keystore was written with.
    pub fn params(&self) -> KdfParams {
        self.params
    }

    /// Decrypts the seed and checks that it derives the stored PK.
    pub fn unlock(&self, passphrase: &str) -> Result<Seed, WalletError> {
        let key = self.params.derive(passphrase, &self.salt)?;
        let pt = Zeroizing::new(
            ChaCha20Poly1305::new(key.as_ref().into())
                .decrypt(
                    (&self.nonce).into(),
                    Payload {
                        msg: &self.ciphertext,
                        aad: &aad(&self.pk),
                    },
                )
                .map_err(|_| WalletError::WrongPassphrase)?,
        );
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&pt);
        let seed = Seed::from_bytes(*bytes);
        if SecretKey::from_seed(&seed).payment_address() != self.pk {
            return Err(WalletError::PkMismatch);
        }
        Ok(seed)
    }

    /// The JSON text (pretty-printed, no trailing newline).
    pub fn to_json(&self) -> String {
        let wire = Wire {
            version: VERSION,
            pk: self.pk.to_string(),
            kdf: KDF.to_string(),
            kdf_params: self.params,
            salt: hex::encode(self.salt),
            nonce: hex::encode(self.nonce),
            ciphertext: hex::encode(self.ciphertext),
        };
        serde_json::to_string_pretty(&wire).expect("a keystore serialises")
    }

    /// Parses and checks a keystore's JSON text (see the crate docs for the
    /// order of the checks). Never panics.
    pub fn from_json(text: &str) -> Result<Keystore, WalletError> {
        let v: Value = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        let obj = v
            .as_object()
            .ok_or_else(|| malformed("not a JSON object"))?;
        match obj.get("version") {
            None => return Err(malformed("missing field `version`")),
            Some(ver) => match ver.as_u64() {
                Some(VERSION) => {}
                Some(n) => return Err(WalletError::UnsupportedVersion(n)),
                None => return Err(malformed(format!("version: not an integer: {ver}"))),
            },
        }
        match obj.get("kdf").map(|k| k.as_str()) {
            None => return Err(malformed("missing field `kdf`")),
            Some(None) => return Err(malformed("kdf: not a string")),
            Some(Some(KDF)) => {}
            Some(Some(other)) => return Err(WalletError::UnsupportedKdf(other.to_string())),
        }
        let wire: Wire = serde_json::from_value(v).map_err(|e| malformed(e.to_string()))?;
        let pk = wire
            .pk
            .parse::<PaymentAddress>()
            .map_err(|e| malformed(format!("pk: {e}")))?;
        // Rejects invalid or excessive parameters before any work.
        wire.kdf_params.argon2()?;
        Ok(Keystore {
            pk,
            params: wire.kdf_params,
            salt: hex_array("salt", &wire.salt)?,
            nonce: hex_array("nonce", &wire.nonce)?,
            ciphertext: hex_array("ciphertext", &wire.ciphertext)?,
        })
    }

    /// Writes the keystore to `path` atomically (temporary file in the same
    /// folder, fsync, rename; mode 0600 on Unix), replacing any file there.
    pub fn save(&self, path: &Path) -> Result<(), WalletError> {
        let io = |source| WalletError::Io {
            path: path.to_path_buf(),
            source,
        };
        let name = path.file_name().ok_or_else(|| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a file name",
            ))
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tag = [0u8; 8];
        OsRng.fill_bytes(&mut tag);
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            hex::encode(tag)
        ));
        let write = || -> std::io::Result<()> {
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(fs::Permissions::from_mode(0o600))?;
            }
            f.write_all(self.to_json().as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, path)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        // Make the rename itself durable (best effort: not every platform
        // can open a folder).
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Reads and checks the keystore at `path` (files over 64 KiB are
    /// refused as malformed).
    pub fn load(path: &Path) -> Result<Keystore, WalletError> {
        let io = |source| WalletError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut text = String::new();
        fs::File::open(path)
            .map_err(io)?
            .take(MAX_FILE_LEN + 1)
            .read_to_string(&mut text)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => malformed("not UTF-8 text"),
                _ => io(e),
            })?;
        if text.len() as u64 > MAX_FILE_LEN {
            return Err(malformed(format!("larger than {MAX_FILE_LEN} bytes")));
        }
        Keystore::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const FAST: KdfParams = KdfParams {
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn a_seed_that_does_not_derive_the_pk_is_refused() {
        let seed = Seed::from_bytes([7; 32]);
        let other = SecretKey::from_seed(&Seed::from_bytes([8; 32])).payment_address();
        let ks = Keystore::seal(&seed, other, "pw", FAST, [1; SALT_LEN], [2; NONCE_LEN]).unwrap();
        // The file is well formed and authenticates, but lies about its PK.
        let ks = Keystore::from_json(&ks.to_json()).unwrap();
        assert_eq!(ks.payment_address(), other);
        let e = ks.unlock("pw").unwrap_err();
        assert!(matches!(e, WalletError::PkMismatch), "{e}");
        assert!(e.to_string().contains("tampered"));
    }

    #[test]
    fn the_ciphertext_is_chacha20poly1305_under_the_argon2id_key() {
        // Recompute the format by hand from its description.
        let seed = Seed::from_bytes([3; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let ks = Keystore::create_with_params(&seed, "pässwörd", FAST, &mut rng).unwrap();
        let mut key = [0u8; 32];
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(256, 1, 1, Some(32)).unwrap(),
        )
        .hash_password_into("pässwörd".as_bytes(), &ks.salt, &mut key)
        .unwrap();
        let mut aad = b"SERO keystore v1".to_vec();
        aad.extend_from_slice(&ks.pk.to_bytes());
        let ct = ChaCha20Poly1305::new(&key.into())
            .encrypt(
                (&ks.nonce).into(),
                Payload {
                    msg: &[3; 32],
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(ct, ks.ciphertext);
    }
}
