pragma solidity ^0.4.24;

import "../SeroInterface.sol";

contract Child {
}

/// Raw system calls and disabled opcodes for the engine's negative tests.
contract Probe is SeroInterface {
    event Plain(uint256 x);

    /// LOG1 with `_topic` over `_len` bytes of a zeroed buffer.
    function rawLog(bytes32 _topic, uint256 _len) public payable returns (bool) {
        bytes memory m = new bytes(320);
        assembly {
            log1(add(m, 0x20), _len, _topic)
        }
        return true;
    }

    /// issueToken whose name pointer is far outside memory.
    function badPointer(uint256 _ptr) public returns (bool ok) {
        bytes memory temp = new bytes(64);
        assembly {
            mstore(temp, _ptr)
            mstore(add(temp, 0x20), 1)
            log1(temp, 0x40, 0x3be6bf24d822bcd6f6348f6f5a5c2d3108f04991ee63e80cde49a8c4746a0ef3)
            ok := mload(add(temp, 0x20))
        }
    }

    /// A name whose length word runs past the end of memory.
    function badLength() public returns (bool ok) {
        bytes memory temp = new bytes(64);
        bytes memory name = new bytes(4);
        assembly {
            mstore(name, 0xffffffff)
            mstore(temp, name)
            log1(temp, 0x40, 0x3be6bf24d822bcd6f6348f6f5a5c2d3108f04991ee63e80cde49a8c4746a0ef3)
            ok := mload(add(temp, 0x20))
        }
    }

    function log0Plain() public returns (bool) {
        bytes memory m = new bytes(32);
        assembly {
            log0(add(m, 0x20), 0x20)
        }
        return true;
    }

    function plainEvent() public {
        emit Plain(7);
    }

    function bal(address _a) public view returns (uint256) {
        return _a.balance;
    }

    function createChild() public returns (address) {
        return new Child();
    }

    function sysBalance() public returns (uint256) {
        return sero_balanceOf("SERO");
    }

    /// STATICCALL into this contract's sysBalance(): the system call halts
    /// the static frame, so the call returns 0.
    function staticSys() public returns (bool ok) {
        bytes4 sel = this.sysBalance.selector;
        address self = address(this);
        assembly {
            let p := mload(0x40)
            mstore(p, sel)
            ok := staticcall(gas, self, p, 4, p, 32)
        }
    }

    function txHash() public returns (bytes32) {
        return sero_txHash();
    }

    function closePkg() public returns (bytes32 c) {
        (c, , , ) = sero_ClosePkg(bytes32(1), bytes32(2));
    }

    function setRate(string _currency, uint256 _tokens, uint256 _ta) public returns (bool) {
        return sero_setToketRate(_currency, _tokens, _ta);
    }

    /// msg.value, the raw currency word and the decoded name.
    function echoAsset() public payable returns (uint256 v, bytes32 raw, string name) {
        bytes memory tmp = new bytes(32);
        assembly {
            log1(tmp, 0x20, 0x7c98e64bd943448b4e24ef8c2cdec7b8b1275970cfe10daf2a9bfa4b04dce905)
            raw := mload(tmp)
        }
        v = msg.value;
        name = sero_msg_currency();
    }

    function fund() public payable {
    }

    /// Pays `_to` one SERO unit, then reverts.
    function innerPayThenRevert(address _to) public {
        sero_send_token(_to, "SERO", 1);
        revert();
    }

    /// Calls innerPayThenRevert on itself: its note must vanish.
    function outer(address _to) public returns (bool ok) {
        ok = address(this).call(bytes4(keccak256("innerPayThenRevert(address)")), _to);
        sero_send_token(_to, "SERO", 2);
    }
}
