pragma solidity ^0.4.24;

/// SERO system calls, compatible with the published SeroInterface.sol:
/// the same topics, memory layout and data lengths (docs/contracts.md), so
/// contracts written for SERO compile and run unchanged. Every call is a
/// LOG1 whose topic is a system topic: the node reads its arguments from
/// the data region [temp, temp+L) and writes its outputs there.
contract SeroInterface {

    bytes32 private topic_sero_issueToken    = 0x3be6bf24d822bcd6f6348f6f5a5c2d3108f04991ee63e80cde49a8c4746a0ef3;
    bytes32 private topic_sero_balanceOf     = 0xcf19eb4256453a4e30b6a06d651f1970c223fb6bd1826a28ed861f0e602db9b8;
    bytes32 private topic_sero_send          = 0x868bd6629e7c2e3d2ccf7b9968fad79b448e7a2bfb3ee20ed1acbc695c3c8b23;
    bytes32 private topic_sero_currency      = 0x7c98e64bd943448b4e24ef8c2cdec7b8b1275970cfe10daf2a9bfa4b04dce905;
    bytes32 private topic_sero_category      = 0xf1964f6690a0536daa42e5c575091297d2479edcc96f721ad85b95358644d276;
    bytes32 private topic_sero_ticket        = 0x9ab0d7c07029f006485cf3468ce7811aa8743b5a108599f6bec9367c50ac6aad;
    bytes32 private topic_sero_allotTicket   = 0xa6a366f1a72e1aef5d8d52ee240a476f619d15be7bc62d3df37496025b83459f;
    bytes32 private topic_sero_setCallValues = 0xa6cafc6282f61eff9032603a017e652f68410d3d3c69f0a3eeca8f181aec1d17;
    bytes32 private topic_sero_setTokenRate  = 0x6800e94e36131c049eaeb631e4530829b0d3d20d5b637c8015a8dc9cedd70aed;
    bytes32 private topic_sero_closePkg      = 0xbbf1aa2159b035802d0a4d44611849d5d4ada0329c81580477d5ec3e82f4f0a6;
    bytes32 private topic_sero_transferPkg   = 0xa8b83585a613dcf6c905ad7e0ce34cd07d1283cc72906d1fe78037d49adae455;
    bytes32 private topic_sero_txHash        = 0xa6cb2bbe89e8b5f0c4e2d557b612ed99f5573b419fd9b304b87129514ccc35b2;

    /// The ASCII name left-aligned in `x`, up to its first zero byte.
    function bytes32ToString(bytes32 x) internal pure returns (string) {
        bytes memory out = new bytes(32);
        uint n = 0;
        for (uint j = 0; j < 32; j++) {
            byte c = byte(bytes32(uint(x) * 2 ** (8 * j)));
            if (c == 0) {
                if (n != 0) break;
            } else {
                out[n] = c;
                n++;
            }
        }
        bytes memory trimmed = new bytes(n);
        for (j = 0; j < n; j++) {
            trimmed[j] = out[j];
        }
        return string(trimmed);
    }

    /// Registers `_currency` to this contract (first come, first served) and
    /// adds `_total` to this contract's book. L = 64: +0 name pointer, +32 total; out +32.
    function sero_issueToken(uint256 _total, string memory _currency) internal returns (bool success) {
        bytes memory temp = new bytes(64);
        assembly {
            mstore(temp, _currency)
            mstore(add(temp, 0x20), _total)
            log1(temp, 0x40, sload(topic_sero_issueToken_slot))
            success := mload(add(temp, 0x20))
        }
    }

    /// This contract's book balance of `_currency`. L = 32.
    function sero_balanceOf(string memory _currency) internal returns (uint256 amount) {
        bytes memory temp = new bytes(32);
        assembly {
            mstore(temp, _currency)
            log1(temp, 0x20, sload(topic_sero_balanceOf_slot))
            amount := mload(temp)
        }
    }

    /// The token name the call brought ("" without a token). L = 32.
    function sero_msg_currency() internal returns (string) {
        bytes memory tmp = new bytes(32);
        bytes32 b32;
        assembly {
            log1(tmp, 0x20, sload(topic_sero_currency_slot))
            b32 := mload(tmp)
        }
        return bytes32ToString(b32);
    }

    /// The ticket category the call brought. L = 32.
    function sero_msg_category() internal returns (string) {
        bytes memory tmp = new bytes(32);
        bytes32 b32;
        assembly {
            log1(tmp, 0x20, sload(topic_sero_category_slot))
            b32 := mload(tmp)
        }
        return bytes32ToString(b32);
    }

    /// The ticket id the call brought. L = 32.
    function sero_msg_ticket() internal returns (bytes32 value) {
        bytes memory tmp = new bytes(32);
        assembly {
            log1(tmp, 0x20, sload(topic_sero_ticket_slot))
            value := mload(tmp)
        }
    }

    /// Mints (`_value` = 0) or moves a ticket of `_category` to `_receiver`.
    /// L = 96: +0 value, +32 receiver, +64 category pointer; out +64 ticket id.
    function sero_allotTicket(address _receiver, bytes32 _value, string memory _category) internal returns (bytes32 ticket) {
        bytes memory temp = new bytes(96);
        assembly {
            mstore(temp, _value)
            mstore(add(temp, 0x20), _receiver)
            mstore(add(temp, 0x40), _category)
            log1(temp, 0x60, sload(topic_sero_allotTicket_slot))
            ticket := mload(add(temp, 0x40))
        }
    }

    /// Pays a token amount and/or a ticket from this contract's book.
    /// L = 160: +0 receiver, +32 currency pointer, +64 amount, +96 category
    /// pointer, +128 ticket id; out +128.
    function sero_send(address _receiver, string memory _currency, uint256 _amount, string memory _category, bytes32 _ticket) internal returns (bool success) {
        bytes memory temp = new bytes(160);
        assembly {
            mstore(temp, _receiver)
            mstore(add(temp, 0x20), _currency)
            mstore(add(temp, 0x40), _amount)
            mstore(add(temp, 0x60), _category)
            mstore(add(temp, 0x80), _ticket)
            log1(temp, 0xa0, sload(topic_sero_send_slot))
            success := mload(add(temp, 0x80))
        }
    }

    function sero_send_token(address _receiver, string memory _currency, uint256 _amount) internal returns (bool success) {
        return sero_send(_receiver, _currency, _amount, "", 0);
    }

    function sero_send_ticket(address _receiver, string memory _category, bytes32 _ticket) internal returns (bool success) {
        return sero_send(_receiver, "", 0, _category, _ticket);
    }

    /// Arms the asset of the next CALL. L = 128.
    function sero_setCallValues(string memory _currency, uint256 _amount, string memory _category, bytes32 _ticket) internal {
        bytes memory temp = new bytes(0x80);
        assembly {
            mstore(temp, _currency)
            mstore(add(temp, 0x20), _amount)
            mstore(add(temp, 0x40), _category)
            mstore(add(temp, 0x60), _ticket)
            log1(temp, 0x80, sload(topic_sero_setCallValues_slot))
        }
    }

    /// Sets this contract's rate for paying gas in `_currency` (the
    /// published spelling). L = 96; out +64.
    function sero_setToketRate(string memory _currency, uint256 _tokenAmount, uint256 _taAmount) internal returns (bool success) {
        bytes memory temp = new bytes(96);
        assembly {
            mstore(temp, _currency)
            mstore(add(temp, 0x20), _tokenAmount)
            mstore(add(temp, 0x40), _taAmount)
            log1(temp, 0x60, sload(topic_sero_setTokenRate_slot))
            success := mload(add(temp, 0x40))
        }
    }

    /// Opens package `_id` (its ticket held by this contract) with `_key`;
    /// its contents are credited to this contract. L = 256: the published
    /// wrapper passed L = 0xa0, which the node refuses (it always halted);
    /// this one passes the 256 bytes the node reads and writes. Out: +0
    /// currency, +32 amount, +64 category, +96 ticket (all zero on failure).
    function sero_ClosePkg(bytes32 _id, bytes32 _key) internal returns (bytes32 currency, uint256 amount, bytes32 category, bytes32 ticket) {
        bytes memory temp = new bytes(256);
        assembly {
            mstore(temp, _id)
            mstore(add(temp, 0x20), _key)
            log1(temp, 0x100, sload(topic_sero_closePkg_slot))
            currency := mload(temp)
            amount := mload(add(temp, 0x20))
            category := mload(add(temp, 0x40))
            ticket := mload(add(temp, 0x60))
        }
    }

    /// Passes package `_id` (its ticket held by this contract) to `_to`.
    /// L = 64; out +32.
    function sero_TransferPkg(bytes32 _id, address _to) internal returns (bool success) {
        bytes memory temp = new bytes(64);
        assembly {
            mstore(temp, _id)
            mstore(add(temp, 0x20), _to)
            log1(temp, 0x40, sload(topic_sero_transferPkg_slot))
            success := mload(add(temp, 0x20))
        }
    }

    /// The hash of the current transaction.
    function sero_txHash() internal returns (bytes32 h) {
        bytes memory temp = new bytes(32);
        assembly {
            log1(temp, 0x20, sload(topic_sero_txHash_slot))
            h := mload(temp)
        }
    }

    function sero_strEq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }
}
