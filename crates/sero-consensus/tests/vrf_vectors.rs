//! Published test vectors for the VRF and its encodings.
//!
//! * ECVRF-RISTRETTO255-SHA512: the test vector of <https://c2sp.org/vrf-r255>
//!   (the ciphersuite specification; the same vector is the `vrf-r255`
//!   crate's own test). It is the only published vector for this suite; the
//!   intermediate values (H, k, U, V) are checked by `vrf-r255`'s unit test,
//!   which runs against the same source.
//! * ristretto255 encodings: RFC 9496 Appendix A.1 (multiples of the
//!   generator, valid) and A.2 (invalid encodings), applied to
//!   `VrfPublicKey::from_bytes` and to the `Gamma` field of proofs.

use sero_consensus::{prove, verify, ConsensusError, VrfPublicKey, VrfSecretKey};

fn h32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

// https://c2sp.org/vrf-r255, "Test vector".
const SK: &str = "3431c2b03533e280b23232e280b34e2c3132c2b03238e280b23131e280b34500";
const PK: &str = "54136cd90d99fbd1d4e855d9556efea87ba0337f2a6ce22028d0f5726fcb854e";
const ALPHA: &str = "633273702e6f72672f7672662d72323535";
const PI: &str = "0a97d961262fb549b4175c5117860f42ae44a123f93c476c439eddd1c0cff9265c805525233e2284dbed45e593b8eea31d5ca9734d72bcbba9738d5237f955f3b2422351149d1312503b6441a47c940c";
const BETA: &str = "dd653f0879b48c3ef69e13551239bec4cbcc1c18fe8894de2e9e1c790e18273603bf1c6c25d7a797aeff3c43fd32b974d3fcbd4bcce916007097922a3ea3a794";

#[test]
fn c2sp_vrf_r255_vector() {
    let sk = VrfSecretKey::from_bytes(&h32(SK)).unwrap();
    assert_eq!(hex::encode(sk.to_bytes()), SK);
    let pk = VrfPublicKey::from_bytes(&h32(PK)).unwrap();
    assert_eq!(sk.public_key(), pk);
    let alpha = hex::decode(ALPHA).unwrap();
    assert_eq!(alpha, b"c2sp.org/vrf-r255");

    let (beta, pi) = prove(&sk, &alpha);
    assert_eq!(hex::encode(pi), PI);
    assert_eq!(hex::encode(beta), BETA);

    let pi: [u8; 80] = hex::decode(PI).unwrap().try_into().unwrap();
    assert_eq!(hex::encode(verify(&pk, &alpha, &pi).unwrap()), BETA);
    // Another input, or a flipped bit anywhere, fails.
    assert_eq!(
        verify(&pk, b"c2sp.org/vrf-r256", &pi),
        Err(ConsensusError::InvalidProof)
    );
    for i in 0..80 {
        let mut bad = pi;
        bad[i] ^= 1;
        assert!(verify(&pk, &alpha, &bad).is_err(), "flipped byte {i}");
    }
}

// RFC 9496 Appendix A.1: encodings of 0·B, 1·B, …, 15·B.
const MULTIPLES: [&str; 16] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
    "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
    "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
    "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
    "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
    "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
    "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
    "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
    "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
    "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
    "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
];

// RFC 9496 Appendix A.2: invalid encodings.
const INVALID: [(&str, &str); 29] = [
    (
        "non-canonical field encoding",
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ),
    (
        "non-canonical field encoding",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "non-canonical field encoding",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "non-canonical field encoding",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "negative field element",
        "0100000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "negative field element",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "negative field element",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
    ),
    (
        "negative field element",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
    ),
    (
        "negative field element",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
    ),
    (
        "negative field element",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
    ),
    (
        "negative field element",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
    ),
    (
        "negative field element",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    ),
    (
        "non-square x^2",
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    ),
    (
        "non-square x^2",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    ),
    (
        "non-square x^2",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    ),
    (
        "non-square x^2",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    ),
    (
        "non-square x^2",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    ),
    (
        "non-square x^2",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    ),
    (
        "non-square x^2",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    ),
    (
        "non-square x^2",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    ),
    (
        "negative xy value",
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    ),
    (
        "negative xy value",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    ),
    (
        "negative xy value",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    ),
    (
        "negative xy value",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    ),
    (
        "negative xy value",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    ),
    (
        "negative xy value",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    ),
    (
        "negative xy value",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    ),
    (
        "negative xy value",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    ),
    (
        "s = -1, so y = 0",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
];

#[test]
fn rfc9496_generator_multiples() {
    // The identity is a valid encoding but not a valid VRF key
    // (RFC 9381 validate_key).
    assert_eq!(
        VrfPublicKey::from_bytes(&h32(MULTIPLES[0])),
        Err(ConsensusError::InvalidPublicKey)
    );
    for (i, enc) in MULTIPLES.iter().enumerate().skip(1) {
        let pk = VrfPublicKey::from_bytes(&h32(enc)).unwrap();
        assert_eq!(hex::encode(pk.to_bytes()), *enc);
        // i·B is the public key of the scalar i.
        let mut x = [0u8; 32];
        x[0] = i as u8;
        assert_eq!(VrfSecretKey::from_bytes(&x).unwrap().public_key(), pk);
    }
}

#[test]
fn rfc9496_invalid_encodings_are_rejected() {
    let sk = VrfSecretKey::from_seed(&[3; 32]);
    let (_, proof) = prove(&sk, b"alpha");
    for (why, enc) in INVALID {
        let bytes = h32(enc);
        assert_eq!(
            VrfPublicKey::from_bytes(&bytes),
            Err(ConsensusError::InvalidPublicKey),
            "{why}: {enc}"
        );
        let mut bad = proof;
        bad[..32].copy_from_slice(&bytes);
        assert_eq!(
            verify(&sk.public_key(), b"alpha", &bad),
            Err(ConsensusError::MalformedProof),
            "Gamma {why}: {enc}"
        );
    }
    // Bit 255 set on a valid encoding: non-canonical.
    let mut b = h32(MULTIPLES[1]);
    b[31] |= 0x80;
    assert_eq!(
        VrfPublicKey::from_bytes(&b),
        Err(ConsensusError::InvalidPublicKey)
    );
}

#[test]
fn non_canonical_proof_scalar_is_rejected() {
    let sk = VrfSecretKey::from_bytes(&h32(SK)).unwrap();
    let pi: [u8; 80] = hex::decode(PI).unwrap().try_into().unwrap();
    // s + ℓ (ℓ = 2^252 + 27742317777372353535851937790883648493) encodes the
    // same scalar non-canonically; it must not verify.
    let l = h32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut s = [0u8; 32];
    s.copy_from_slice(&pi[48..]);
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(l[i]) + carry;
        s[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    let mut bad = pi;
    bad[48..].copy_from_slice(&s);
    assert_eq!(
        verify(&sk.public_key(), b"c2sp.org/vrf-r255", &bad),
        Err(ConsensusError::MalformedProof)
    );
}
