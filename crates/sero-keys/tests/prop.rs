//! Property tests of the account system.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::ladder::Backend;
use sero_keys::{open, seal, KeyError, OneTimeAddress, PkrSignature, Scanner, SecretKey, Seed};

fn account(seed: [u8; 32]) -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes(seed))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn recognised_by_own_tk_only(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), r in any::<u64>()) {
        prop_assume!(a != b);
        let (ska, skb) = (account(a), account(b));
        let pkr = ska.payment_address().derive_pkr(&mut rng(r));
        let (tka, tkb) = (ska.trace_key(), skb.trace_key());
        prop_assert!(tka.is_mine(&pkr));
        prop_assert!(!tkb.is_mine(&pkr));
        prop_assert!(Scanner::new(&tka).is_mine(&pkr));
        prop_assert!(Scanner::new(&tka).is_mine_bytes(&pkr.to_bytes()));
        prop_assert!(!Scanner::new(&tkb).is_mine(&pkr));
        prop_assert!(!Scanner::new(&tkb).is_mine_bytes(&pkr.to_bytes()));
    }

    #[test]
    fn pkrs_are_unlinkable_but_both_recognised(a in any::<[u8; 32]>(), r in any::<u64>()) {
        let sk = account(a);
        let pk = sk.payment_address();
        let mut g = rng(r);
        let p1 = pk.derive_pkr(&mut g);
        let p2 = pk.derive_pkr(&mut g);
        // No component repeats, and none equals a component of PK.
        let (b1, b2, pkb) = (p1.to_bytes(), p2.to_bytes(), pk.to_bytes());
        for i in 0..3 {
            for j in 0..3 {
                prop_assert_ne!(&b1[i * 32..i * 32 + 32], &b2[j * 32..j * 32 + 32]);
            }
            for j in 0..2 {
                prop_assert_ne!(&b1[i * 32..i * 32 + 32], &pkb[j * 32..j * 32 + 32]);
            }
        }
        let tk = sk.trace_key();
        prop_assert!(tk.is_mine(&p1) && tk.is_mine(&p2));
        prop_assert_eq!(Scanner::new(&tk).scan(&[p1, p2]), vec![true, true]);
        prop_assert_eq!(p1.to_string().parse::<OneTimeAddress>().unwrap(), p1);
    }

    #[test]
    fn seal_open_roundtrip_and_tamper(a in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..200),
                                      r in any::<u64>(), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let sk = account(a);
        let mut g = rng(r);
        let pkr = sk.payment_address().derive_pkr(&mut g);
        let sealed = seal(&pkr, &msg, b"aad", &mut g);
        prop_assert_eq!(sealed.len(), msg.len() + sero_keys::SEAL_OVERHEAD);
        prop_assert_eq!(open(&sk.trace_key(), &sealed, b"aad").unwrap(), msg.clone());
        // Any flipped bit is rejected.
        let mut t = sealed.clone();
        let i = flip.index(t.len());
        t[i] ^= 1 << bit;
        prop_assert!(open(&sk.trace_key(), &t, b"aad").is_err());
        // Other associated data, other key, truncation: rejected.
        prop_assert_eq!(open(&sk.trace_key(), &sealed, b"other"), Err(KeyError::OpenFailed));
        let mut other = a;
        other[0] ^= 1;
        prop_assert_eq!(open(&account(other).trace_key(), &sealed, b"aad"), Err(KeyError::OpenFailed));
        prop_assert!(open(&sk.trace_key(), &sealed[..sealed.len() - 1], b"aad").is_err());
    }

    #[test]
    fn batch_scan_agrees_with_is_mine(a in any::<[u8; 32]>(), r in any::<u64>(),
                                      kinds in proptest::collection::vec(0u8..4, 1..20)) {
        // Mine, foreign, VPKr negated (a filter hit the exact check
        // rejects), one byte flipped anywhere: on every backend the batch
        // answers are the exact ones, at every lane position.
        let sk = account(a);
        let mut b = a;
        b[0] ^= 1;
        let (pk, other) = (sk.payment_address(), account(b).payment_address());
        let tk = sk.trace_key();
        let mut g = rng(r);
        let mut bytes = vec![];
        for (i, k) in kinds.iter().enumerate() {
            let p = match k {
                1 => other.derive_pkr(&mut g),
                _ => pk.derive_pkr(&mut g),
            };
            let mut e = p.to_bytes();
            if *k == 2 {
                e[32..64].copy_from_slice(&sero_crypto::curve::encode_point(&-p.vpkr));
            } else if *k == 3 {
                e[(r as usize + i * 7) % 96] ^= 1 << (i % 8);
            }
            bytes.push(e);
        }
        let want: Vec<bool> = bytes
            .iter()
            .map(|e| OneTimeAddress::from_bytes(e).is_ok_and(|p| tk.is_mine(&p)))
            .collect();
        for (i, k) in kinds.iter().enumerate() {
            // (A flipped bit may leave a valid PKr of ours, e.g. −BASEr.)
            if *k < 3 {
                prop_assert_eq!(want[i], *k == 0);
            }
        }
        for backend in [Backend::Portable, Backend::Ifma] {
            if backend.available() {
                prop_assert_eq!(Scanner::with_backend(&tk, backend).scan_bytes(&bytes), want.clone());
            }
        }
    }

    #[test]
    fn sign_verify_and_reject(a in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..100),
                              r in any::<u64>(), flip in any::<prop::sample::Index>()) {
        let sk = account(a);
        let mut g = rng(r);
        let pkr = sk.payment_address().derive_pkr(&mut g);
        let sig = sk.sign(&pkr, &msg, &mut g).unwrap();
        prop_assert!(pkr.verify(&msg, &sig).is_ok());
        // Changed message.
        let mut m2 = msg.clone();
        m2.push(0);
        prop_assert!(pkr.verify(&m2, &sig).is_err());
        // Another PKr of the same account, and a PKr of another account.
        let pkr2 = sk.payment_address().derive_pkr(&mut g);
        prop_assert!(pkr2.verify(&msg, &sig).is_err());
        let mut other = a;
        other[1] ^= 1;
        let foreign = account(other).payment_address().derive_pkr(&mut g);
        prop_assert!(foreign.verify(&msg, &sig).is_err());
        prop_assert_eq!(account(other).sign(&pkr, &msg, &mut g), Err(KeyError::NotMine));
        // Changed signature bytes: a decoding error or a failed verification.
        let mut b = sig.to_bytes();
        b[flip.index(64)] ^= 0x01;
        if let Ok(s2) = PkrSignature::from_bytes(&b) {
            prop_assert!(pkr.verify(&msg, &s2).is_err());
        }
    }
}
