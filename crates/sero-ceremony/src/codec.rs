//! The byte encoding of transcripts: little-endian integers, arkworks'
//! uncompressed points (decoded with curve and subgroup checks), and a
//! trailing integrity hash.

use crate::{CeremonyError, G1A, G2A};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rayon::prelude::*;

pub(crate) const G1_LEN: usize = 64;
pub(crate) const G2_LEN: usize = 128;

fn bad(m: impl Into<String>) -> CeremonyError {
    CeremonyError::Format(m.into())
}

pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn new() -> Self {
        Writer(Vec::new())
    }
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub fn var(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.bytes(b);
    }
    pub fn point<P: CanonicalSerialize>(&mut self, p: &P) {
        p.serialize_uncompressed(&mut self.0).expect("in-memory");
    }
    pub fn points<P: CanonicalSerialize>(&mut self, ps: &[P]) {
        self.u64(ps.len() as u64);
        for p in ps {
            self.point(p);
        }
    }
    /// Appends `BLAKE2b-256(personal; everything so far)`.
    pub fn finish(mut self, personal: &[u8; 16]) -> Vec<u8> {
        let h = integrity(personal, &self.0);
        self.0.extend_from_slice(&h);
        self.0
    }
}

fn integrity(personal: &[u8; 16], body: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(
        blake2b_simd::Params::new()
            .hash_length(32)
            .personal(personal)
            .hash(body)
            .as_bytes(),
    );
    out
}

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks magic, version and the trailing integrity hash.
    pub fn open(
        bytes: &'a [u8],
        magic: &[u8; 8],
        version: u32,
        personal: &[u8; 16],
        what: &str,
    ) -> Result<Self, CeremonyError> {
        if bytes.len() < 12 + 32 {
            return Err(bad(format!("file too short for a {what}")));
        }
        if &bytes[..8] != magic {
            return Err(bad(format!("not a {what} (bad magic)")));
        }
        let v = u32::from_le_bytes(bytes[8..12].try_into().expect("4"));
        if v != version {
            return Err(bad(format!(
                "{what}: unsupported version {v} (expected {version})"
            )));
        }
        let (body, h) = bytes.split_at(bytes.len() - 32);
        if integrity(personal, body) != h {
            return Err(bad(format!(
                "{what}: integrity hash mismatch: the file is truncated or corrupt"
            )));
        }
        Ok(Reader { buf: body, pos: 12 })
    }

    pub fn done(&self) -> Result<(), CeremonyError> {
        if self.pos != self.buf.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(())
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], CeremonyError> {
        if self.buf.len() - self.pos < n {
            return Err(bad(format!("file too short ({what})")));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self, what: &str) -> Result<u8, CeremonyError> {
        Ok(self.take(1, what)?[0])
    }
    pub fn u32(&mut self, what: &str) -> Result<u32, CeremonyError> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4"),
        ))
    }
    pub fn u64(&mut self, what: &str) -> Result<u64, CeremonyError> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8"),
        ))
    }
    pub fn array32(&mut self, what: &str) -> Result<[u8; 32], CeremonyError> {
        Ok(self.take(32, what)?.try_into().expect("32"))
    }
    pub fn var(&mut self, max: usize, what: &str) -> Result<&'a [u8], CeremonyError> {
        let n = self.u32(what)? as usize;
        if n > max {
            return Err(bad(format!("{what}: {n} bytes, at most {max} allowed")));
        }
        self.take(n, what)
    }
    pub fn g1(&mut self, what: &str) -> Result<G1A, CeremonyError> {
        let b = self.take(G1_LEN, what)?;
        decode(b, what)
    }
    pub fn g2(&mut self, what: &str) -> Result<G2A, CeremonyError> {
        let b = self.take(G2_LEN, what)?;
        decode(b, what)
    }
    fn points<P: CanonicalDeserialize + Send>(
        &mut self,
        len: usize,
        expect: usize,
        what: &str,
    ) -> Result<Vec<P>, CeremonyError> {
        let n = self.u64(what)?;
        if n != expect as u64 {
            return Err(bad(format!("{what}: {n} points, expected {expect}")));
        }
        let b = self.take(expect * len, what)?;
        b.par_chunks(len)
            .enumerate()
            .map(|(i, c)| decode(c, &format!("{what}[{i}]")))
            .collect()
    }
    pub fn g1s(&mut self, expect: usize, what: &str) -> Result<Vec<G1A>, CeremonyError> {
        self.points(G1_LEN, expect, what)
    }
    pub fn g2s(&mut self, expect: usize, what: &str) -> Result<Vec<G2A>, CeremonyError> {
        self.points(G2_LEN, expect, what)
    }
}

fn decode<P: CanonicalDeserialize>(b: &[u8], what: &str) -> Result<P, CeremonyError> {
    P::deserialize_with_mode(b, Compress::No, Validate::Yes).map_err(|e| {
        bad(format!(
            "{what}: not a valid point of the curve's prime-order subgroup ({e})"
        ))
    })
}
