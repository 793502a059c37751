pragma solidity ^0.4.24;

/// A plain ERC-20-style token (no SERO calls): the benchmark's workload.
contract Erc20 {
    mapping(address => uint256) public balanceOf;

    constructor(uint256 _supply) public {
        balanceOf[msg.sender] = _supply;
    }

    function transfer(address _to, uint256 _value) public returns (bool) {
        require(balanceOf[msg.sender] >= _value);
        balanceOf[msg.sender] -= _value;
        balanceOf[_to] += _value;
        return true;
    }
}
