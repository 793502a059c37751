pragma solidity ^0.4.24;

import "./SeroInterface.sol";

/// A sealed-bid auction of one ticket (the lot, category LOT) with
/// packages (docs/protocol.md §17, docs/contracts.md):
/// 1. bidding: a bidder seals SERO in a package (`sero wallet package
///    create`) and brings its ticket to `bid()` (`sero contract call
///    --package ID`): nobody, the seller included, sees the amount;
/// 2. the seller calls `close()`: no more bids;
/// 3. revealing: each bidder calls `reveal(id, key)`; the contract opens
///    the package with `sero_ClosePkg` and the SERO enter its book;
/// 4. the seller calls `finish()`: the highest revealed bid wins the lot,
///    the seller gets that bid, the other revealed bids are refunded and
///    the packages never revealed are handed back unopened
///    (`sero_TransferPkg`).
contract SealedBidAuction is SeroInterface {
    address public seller;
    bytes32 public lot;
    uint8 public phase; // 0 bidding, 1 revealing, 2 finished
    bytes32[] public packages;
    mapping(bytes32 => address) public bidderOf;
    mapping(bytes32 => uint256) public amountOf;
    mapping(bytes32 => bool) public revealed;
    address public winner;
    uint256 public highest;

    constructor() public {
        seller = msg.sender;
    }

    /// Mints the lot into this contract (once, by the seller).
    function mintLot() public returns (bytes32) {
        require(msg.sender == seller && lot == 0);
        lot = sero_allotTicket(address(this), 0, "LOT");
        require(lot != 0);
        return lot;
    }

    function bid() public payable {
        require(phase == 0 && lot != 0);
        require(sero_strEq(sero_msg_category(), "#PKG"));
        bytes32 id = sero_msg_ticket();
        require(bidderOf[id] == address(0));
        bidderOf[id] = msg.sender;
        packages.push(id);
    }

    function close() public {
        require(msg.sender == seller && phase == 0);
        phase = 1;
    }

    function reveal(bytes32 _id, bytes32 _key) public returns (uint256) {
        require(phase == 1 && bidderOf[_id] != address(0) && !revealed[_id]);
        bytes32 currency;
        uint256 amount;
        (currency, amount, , ) = sero_ClosePkg(_id, _key);
        require(amount > 0 && currency == bytes32("SERO"));
        revealed[_id] = true;
        amountOf[_id] = amount;
        if (amount > highest) {
            highest = amount;
            winner = bidderOf[_id];
        }
        return amount;
    }

    function finish() public {
        require(msg.sender == seller && phase == 1);
        phase = 2;
        bool paid = false;
        for (uint256 i = 0; i < packages.length; i++) {
            bytes32 id = packages[i];
            address b = bidderOf[id];
            if (!revealed[id]) {
                require(sero_TransferPkg(id, b));
            } else if (b == winner && amountOf[id] == highest && !paid) {
                paid = true;
                require(sero_send_ticket(b, "LOT", lot));
                require(sero_send_token(seller, "SERO", amountOf[id]));
            } else {
                require(sero_send_token(b, "SERO", amountOf[id]));
            }
        }
        if (!paid) {
            require(sero_send_ticket(seller, "LOT", lot));
        }
    }

    function bids() public view returns (uint256) {
        return packages.length;
    }
}
