//! Every encoded key type rejects off-curve, small-order, mixed-order and
//! non-canonical points with an error (never a panic).

use sero_crypto::curve::{bad_encodings, encode_point, encode_scalar, generator};
use sero_crypto::Scalar;
use sero_keys::{
    encode_typed, open, KeyError, KeyType, OneTimeAddress, PaymentAddress, PkrSignature, SecretKey,
    Seed, TraceKey,
};

fn fixture() -> (SecretKey, OneTimeAddress) {
    let sk = SecretKey::from_seed(&Seed::from_bytes([3; 32]));
    let pkr = sk.payment_address().derive_pkr_with(&Scalar::from(11u64));
    (sk, pkr)
}

/// Replaces the 32-byte point at `slot` in `good` with each bad encoding and
/// checks that `parse` fails, both from bytes and from the typed string.
fn check_slots<T: std::fmt::Debug>(
    ty: KeyType,
    good: &[u8],
    slots: &[usize],
    parse_bytes: impl Fn(&[u8]) -> Result<T, KeyError>,
    parse_str: impl Fn(&str) -> Result<T, KeyError>,
) {
    parse_bytes(good).expect("fixture decodes");
    for &slot in slots {
        for (name, bad) in bad_encodings::all(&generator()) {
            if bad.len() != 32 {
                continue;
            }
            let mut b = good.to_vec();
            b[slot * 32..slot * 32 + 32].copy_from_slice(&bad);
            let e = parse_bytes(&b).expect_err(name);
            assert!(matches!(e, KeyError::Crypto { .. }), "{name}: {e}");
            let e = parse_str(&encode_typed(ty, &b)).expect_err(name);
            assert!(matches!(e, KeyError::Crypto { .. }), "{name}: {e}");
        }
        // The identity is refused in keys and addresses.
        let mut b = good.to_vec();
        b[slot * 32..slot * 32 + 32].copy_from_slice(&encode_point(&Default::default()));
        assert!(parse_bytes(&b).is_err(), "identity in slot {slot}");
    }
    assert!(matches!(
        parse_bytes(&good[1..]),
        Err(KeyError::Length { .. })
    ));
}

#[test]
fn payment_address_rejects_bad_points() {
    let (sk, _) = fixture();
    check_slots(
        KeyType::PaymentAddress,
        &sk.payment_address().to_bytes(),
        &[0, 1],
        PaymentAddress::from_bytes,
        |s| s.parse::<PaymentAddress>(),
    );
}

#[test]
fn one_time_address_rejects_bad_points() {
    let (_, pkr) = fixture();
    check_slots(
        KeyType::OneTimeAddress,
        &pkr.to_bytes(),
        &[0, 1, 2],
        OneTimeAddress::from_bytes,
        |s| s.parse::<OneTimeAddress>(),
    );
}

#[test]
fn trace_key_rejects_bad_points_and_scalars() {
    let (sk, _) = fixture();
    let good = sk.trace_key().to_bytes();
    check_slots(KeyType::TraceKey, &good, &[0], TraceKey::from_bytes, |s| {
        s.parse::<TraceKey>()
    });
    // vsk ≥ ℓ (non-canonical: vsk + ℓ would be the same key) and vsk = 0.
    let mut b = good;
    b[32..].copy_from_slice(&[0xff; 32]);
    assert!(TraceKey::from_bytes(&b).is_err());
    b[32..].copy_from_slice(&[0; 32]);
    assert!(TraceKey::from_bytes(&b).is_err());
}

#[test]
fn secret_key_rejects_non_canonical_scalars() {
    let (sk, _) = fixture();
    let good = sk.to_bytes();
    assert_eq!(SecretKey::from_bytes(&good).unwrap(), sk);
    // zsk + ℓ: the same key, a second encoding — refused.
    let l_plus = {
        use ark_ff::{BigInteger, PrimeField};
        let mut m = Scalar::MODULUS;
        m.add_with_carry(&sk.zsk().into_bigint());
        let mut out = [0u8; 32];
        out.copy_from_slice(&m.to_bytes_le());
        out
    };
    let mut b = good;
    b[..32].copy_from_slice(&l_plus);
    assert!(SecretKey::from_bytes(&b).is_err());
    b[..32].copy_from_slice(&encode_scalar(&Scalar::from(0u64)));
    assert!(SecretKey::from_bytes(&b).is_err());
}

#[test]
fn signature_rejects_bad_r_and_s() {
    let (sk, pkr) = fixture();
    let sig = sk.sign_with_aux(&pkr, b"m", &[0; 32]).unwrap();
    let good = sig.to_bytes();
    for (name, bad) in bad_encodings::all(&generator()) {
        if bad.len() != 32 {
            continue;
        }
        let mut b = good;
        b[..32].copy_from_slice(&bad);
        assert!(PkrSignature::from_bytes(&b).is_err(), "{name}");
    }
    let mut b = good;
    b[32..].copy_from_slice(&[0xff; 32]);
    assert!(PkrSignature::from_bytes(&b).is_err(), "s >= ℓ");
    assert!(PkrSignature::from_bytes(&good[..63]).is_err());
}

#[test]
fn sealed_rejects_bad_ephemeral_point() {
    let (sk, pkr) = fixture();
    let sealed = sero_keys::seal_with(&pkr, b"hi", b"", &Scalar::from(5u64));
    for (name, bad) in bad_encodings::all(&generator()) {
        if bad.len() != 32 {
            continue;
        }
        let mut b = sealed.clone();
        b[..32].copy_from_slice(&bad);
        assert!(
            matches!(open(&sk.trace_key(), &b, b""), Err(KeyError::Crypto { .. })),
            "{name}"
        );
    }
    assert!(matches!(
        open(&sk.trace_key(), &sealed[..40], b""),
        Err(KeyError::SealedTooShort(40))
    ));
}
