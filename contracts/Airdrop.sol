pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// Sends `_each` of `_currency` to every listed address (PKrs the
/// transaction lists in its input prefix).
contract Airdrop is SeroInterface {
    function fund() public payable {
    }

    function drop(address[] _to, string _currency, uint256 _each) public returns (uint256 n) {
        for (uint i = 0; i < _to.length; i++) {
            if (sero_send_token(_to[i], _currency, _each)) {
                n++;
            }
        }
    }
}
