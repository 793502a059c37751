pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// Issues COIN and sells it for SERO at a fixed rate; the buyer is paid
/// with a private note (sero_send_token to msg.sender).
contract TokenSale is SeroInterface {
    address public owner;
    uint256 public rate;   // COIN units per SERO unit
    uint256 public sold;

    constructor(uint256 _rate) public {
        owner = msg.sender;
        rate = _rate;
    }

    /// The owner brings SERO for the issue fee.
    function issue(uint256 _total) public payable returns (bool) {
        require(msg.sender == owner);
        require(sero_issueToken(_total, "COIN"));
        return true;
    }

    function buy() public payable returns (uint256 amount) {
        require(sero_strEq(sero_msg_currency(), "SERO"));
        amount = msg.value * rate;
        require(sero_send_token(msg.sender, "COIN", amount));
        sold += amount;
    }

    /// Pays, then fails: nothing of it may survive.
    function buyThenRevert() public payable {
        sero_send_token(msg.sender, "COIN", msg.value * rate);
        revert();
    }

    function withdraw(uint256 _amount) public returns (bool) {
        require(msg.sender == owner);
        return sero_send_token(owner, "SERO", _amount);
    }

    /// Gas on behalf: callers may pay their gas in COIN; the sale pays it
    /// in SERO from its book, `_ta` SERO units per `_tokens` COIN units.
    function sponsorGas(uint256 _tokens, uint256 _ta) public returns (bool) {
        require(msg.sender == owner);
        return sero_setToketRate("COIN", _tokens, _ta);
    }

    function coinBalance() public returns (uint256) {
        return sero_balanceOf("COIN");
    }

    function issueOther(uint256 _total, string _name) public payable returns (bool) {
        return sero_issueToken(_total, _name);
    }
}
