pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// Receives tokens from other contracts (sero_msg_currency, msg.value).
contract Vault is SeroInterface {
    uint256 public received;
    string public lastCurrency;

    function deposit() public payable {
        lastCurrency = sero_msg_currency();
        received += msg.value;
    }

    function depositAndRevert() public payable {
        revert();
    }

    function () public payable {
    }
}

/// Pays a Vault from its own book with sero_setCallValues.
contract Payer is SeroInterface {
    function fund() public payable {
    }

    function pay(address _vault, string _currency, uint256 _amount) public returns (bool) {
        sero_setCallValues(_currency, _amount, "", 0);
        Vault(_vault).deposit();
        return true;
    }

    /// The callee reverts: the call fails and the book stays.
    function payReverting(address _vault, string _currency, uint256 _amount) public returns (bool ok) {
        sero_setCallValues(_currency, _amount, "", 0);
        ok = _vault.call(bytes4(keccak256("depositAndRevert()")));
    }

    /// Plain CALL with a value: pays SERO.
    function paySero(address _vault, uint256 _amount) public returns (bool) {
        return _vault.call.value(_amount)(bytes4(keccak256("deposit()")));
    }

    function balance(string _currency) public returns (uint256) {
        return sero_balanceOf(_currency);
    }
}
