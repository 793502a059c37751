pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// An SRC20: issues its whole supply in the constructor (the deploying
/// transaction brings the issue fee) and sends it to the deployer.
contract Src20 is SeroInterface {
    string public symbol;
    uint256 public totalSupply;

    constructor(uint256 _total, string _symbol) public payable {
        symbol = _symbol;
        totalSupply = _total;
        require(sero_issueToken(_total, _symbol));
        require(sero_send_token(msg.sender, _symbol, _total));
    }
}
