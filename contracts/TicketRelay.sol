pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// Receives a ticket (sero_msg_category / sero_msg_ticket) and sends it on.
contract TicketRelay is SeroInterface {
    bytes32 public lastTicket;
    uint256 public relayed;

    function relay(address _to) public payable returns (bool) {
        string memory category = sero_msg_category();
        bytes32 ticket = sero_msg_ticket();
        lastTicket = ticket;
        require(sero_send_ticket(_to, category, ticket));
        relayed++;
        return true;
    }

    /// Keeps what it is sent (2300 gas: no storage writes here).
    function () public payable {
    }
}
