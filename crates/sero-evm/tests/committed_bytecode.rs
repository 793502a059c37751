//! The bytecode committed under `contracts/build/` (embedded by
//! `sero_evm::bench` and `sero bench evm`, which need no compiler) is what
//! solc 0.4.26 makes of the sources today. To refresh it, from
//! `contracts/`: `solcjs --bin --optimize -o OUT SeroInterface.sol
//! TokenSale.sol Src20.sol Kitty.sol TicketRelay.sol Vault.sol Airdrop.sol
//! test/Probe.sol test/Erc20.sol`, then copy `OUT/test_Erc20_sol_Erc20.bin`
//! to `build/Erc20.hex` and `OUT/TokenSale_sol_TokenSale.bin` to
//! `build/TokenSale.hex`.

mod common;

#[test]
fn committed_bytecode_matches_the_sources() {
    for (name, committed) in [
        ("Erc20", sero_evm::bench::ERC20_HEX),
        ("TokenSale", sero_evm::bench::TOKEN_SALE_HEX),
    ] {
        assert_eq!(
            hex::encode(common::code(name)),
            committed.trim(),
            "contracts/build/{name}.hex is stale"
        );
    }
}
