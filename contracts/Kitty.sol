pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// What Kitty calls to pass a kitty on through another contract
/// (`contracts/TicketRelay.sol`).
contract Relay {
    function relay(address _to) public payable returns (bool);
}

/// A kitty-like ticket contract: every kitty is a SERO ticket of category
/// KITTY, minted with sero_allotTicket(to, 0, "KITTY").
contract Kitty is SeroInterface {
    address public owner;
    uint256 public born;
    mapping(bytes32 => uint256) public genes;

    constructor() public {
        owner = msg.sender;
    }

    function mint(address _to, uint256 _genes) public returns (bytes32 id) {
        require(msg.sender == owner);
        id = sero_allotTicket(_to, 0, "KITTY");
        require(id != 0);
        genes[id] = _genes;
        born++;
    }

    /// Transfers a kitty this contract holds.
    function transfer(address _to, bytes32 _id) public returns (bool) {
        require(msg.sender == owner);
        return sero_send_ticket(_to, "KITTY", _id);
    }

    /// A holder brings a kitty in the call and hands it to `_to`.
    function give(address _to) public payable returns (bytes32 id) {
        require(sero_strEq(sero_msg_category(), "KITTY"));
        id = sero_msg_ticket();
        require(sero_send_ticket(_to, "KITTY", id));
    }

    /// A holder brings a kitty and this contract passes it on through
    /// another contract: the ticket travels with the contract-to-contract
    /// call (sero_setCallValues) and `_relay` sends it to `_to`.
    function giveVia(address _relay, address _to) public payable returns (bytes32 id) {
        require(sero_strEq(sero_msg_category(), "KITTY"));
        id = sero_msg_ticket();
        sero_setCallValues("", 0, "KITTY", id);
        require(Relay(_relay).relay(_to));
    }

    function mintCategory(address _to, string _category) public returns (bytes32) {
        return sero_allotTicket(_to, 0, _category);
    }
}
