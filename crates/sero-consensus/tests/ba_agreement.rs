//! BA★ agreement: happy paths, faults and cheating, on a small
//! deterministic network.

mod ba_common;

use ba_common::{block_of, context, keys, Net};
use sero_consensus::ba::{
    proposer_credential, sign_vote, verify_certificate, Agreement, BaParams, DecisionKind, Message,
    Output, VoteStep,
};

fn best_proposer(net: &Net, among: &[usize]) -> usize {
    *among
        .iter()
        .filter_map(|&i| {
            proposer_credential(&net.ctx, &net.params, &net.keys[i])
                .unwrap()
                .map(|c| (c.priority(), i))
        })
        .min()
        .map(|(_, i)| i)
        .as_ref()
        .expect("someone is selected")
}

#[test]
fn four_honest_validators_decide_final_on_the_best_proposal() {
    let mut net = Net::new(4, &[10; 4], BaParams::devnet());
    let best = best_proposer(&net, &[0, 1, 2, 3]);
    net.start_all();
    net.run_until(5_000);
    for i in 0..4 {
        let d = net.last_decision(i).expect("decided");
        assert_eq!(d.kind, DecisionKind::Final, "node {i}");
        assert_eq!(d.value, block_of(best), "node {i}");
        verify_certificate(&net.ctx, &net.params, &d.certificate).unwrap();
        assert_eq!(net.decisions[i].len(), 1);
    }
    net.assert_no_equivocation();
}

#[test]
fn paper_committees_decide_final() {
    // τ_step = 2000 of W = 4000: real sampling; τ_final ≥ W.
    let mut net = Net::new(4, &[1000; 4], BaParams::production_lan());
    let best = best_proposer(&net, &[0, 1, 2, 3]);
    net.start_all();
    net.run_until(10_000);
    for i in 0..4 {
        let d = net.last_decision(i).expect("decided");
        assert_eq!((d.kind, d.value), (DecisionKind::Final, block_of(best)));
    }
}

#[test]
fn no_proposer_online_gives_the_empty_block_tentatively() {
    let mut net = Net::new(4, &[10; 4], BaParams::devnet());
    net.no_propose = (0..4).collect();
    net.start_all();
    net.run_until(10_000);
    for i in 0..4 {
        let d = net.last_decision(i).expect("decided");
        assert_eq!(d.value, net.ctx.empty_hash);
        assert_eq!(d.kind, DecisionKind::Tentative);
        assert_eq!(d.certificate.step, VoteStep::Binary(2));
        verify_certificate(&net.ctx, &net.params, &d.certificate).unwrap();
    }
}

#[test]
fn best_proposer_offline_the_others_agree_on_the_next_best() {
    let mut net = Net::new(4, &[10; 4], BaParams::devnet());
    let best = best_proposer(&net, &[0, 1, 2, 3]);
    let others: Vec<usize> = (0..4).filter(|&i| i != best).collect();
    let second = best_proposer(&net, &others);
    for &i in &others {
        net.start(i, Vec::new());
    }
    net.run_until(10_000);
    for &i in &others {
        let d = net.last_decision(i).expect("decided");
        assert_eq!((d.kind, d.value), (DecisionKind::Final, block_of(second)));
    }
}

#[test]
fn restart_rebroadcasts_prior_votes_and_never_conflicts() {
    let params = BaParams::devnet();
    let mut net = Net::new(4, &[10; 4], params);
    let best = best_proposer(&net, &[0, 1, 2, 3]);
    let victim = (best + 1) % 4;
    net.start_all();
    // Just after the proposal wait: everybody voted in reduction step 1.
    net.run_until(params.lambda_proposal_ms + 1);
    let prior = net.sent[victim].clone();
    assert!(prior.iter().any(|v| v.step == VoteStep::Reduction1));
    net.crash(victim);
    // Restarted after the proposals were gossiped: it never sees them again,
    // and alone would vote for the empty block.
    net.run_until(params.lambda_proposal_ms + 3);
    net.start(victim, prior.clone());
    net.run_until(20_000);
    net.assert_no_equivocation();
    let r1: Vec<_> = net.sent[victim]
        .iter()
        .filter(|v| v.step == VoteStep::Reduction1)
        .collect();
    assert!(r1.iter().all(|v| v.value == block_of(best)));
    for i in 0..4 {
        assert_eq!(
            net.last_decision(i).unwrap().value,
            block_of(best),
            "node {i}"
        );
    }
}

#[test]
fn prior_vote_wins_over_a_new_choice() {
    let ks = keys(4);
    let ctx = context(&ks, &[10; 4], 3);
    let params = BaParams::devnet();
    let x = [0x77; 32];
    let prior = sign_vote(&ctx, &params, &ks[0], VoteStep::Reduction1, x)
        .unwrap()
        .unwrap()
        .into_vote();
    // Votes of other keys or rounds among the prior votes are ignored.
    let foreign = sign_vote(&ctx, &params, &ks[1], VoteStep::Reduction2, x)
        .unwrap()
        .unwrap()
        .into_vote();
    let (mut a, _) = Agreement::new(
        ctx.clone(),
        params,
        Some(ks[0].clone()),
        0,
        vec![prior.clone(), foreign],
    );
    // No proposal arrives: a fresh node would vote for the empty block.
    let out = a.on_timeout(params.lambda_proposal_ms);
    let votes: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Broadcast(Message::Vote(v)) => Some(v.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(votes, vec![prior]);
    assert_eq!(a.my_votes().count(), 1);
}

#[test]
fn a_restarted_node_rejoins_a_stalled_round() {
    let mut params = BaParams::devnet();
    params.max_steps = 150;
    let mut net = Net::new(4, &[10; 4], params);
    // Node 3 is offline for good; node 2 crashes early: 2 of 4 cannot decide.
    for i in 0..3 {
        net.start(i, Vec::new());
    }
    net.run_until(100);
    let prior = net.sent[2].clone();
    net.crash(2);
    net.run_until(12_000);
    assert!(net.last_decision(0).is_none());
    net.start(2, prior);
    net.run_until(40_000);
    net.assert_no_equivocation();
    let d0 = net
        .last_decision(0)
        .expect("decided after the restart")
        .value;
    for i in 1..3 {
        assert_eq!(net.last_decision(i).expect("decided").value, d0);
    }
}

#[test]
fn stalled_nodes_halt_after_max_steps_then_run_recovery_periods() {
    let mut params = BaParams::devnet();
    params.max_steps = 6;
    let mut net = Net::new(4, &[10; 4], params);
    net.start(0, Vec::new());
    net.start(1, Vec::new());
    net.run_until(60_000);
    for i in 0..2 {
        let a = net.nodes[i].as_ref().unwrap();
        assert!(a.period() >= 2, "period {}", a.period());
        assert!(
            a.next_deadline().is_some(),
            "a recovery period is always due"
        );
        assert!(net.decisions[i].is_empty());
        // No period runs past max_steps binary steps.
        assert!(net.sent[i]
            .iter()
            .all(|v| !matches!(v.step, VoteStep::Binary(s) if s > 6)));
        // Each period votes afresh (own votes in several periods).
        let periods: std::collections::BTreeSet<u16> =
            net.sent[i].iter().map(|v| v.period).collect();
        assert!(periods.len() >= 3, "{periods:?}");
    }
    net.assert_no_equivocation();
}

#[test]
fn recovery_period_decides_once_the_missing_validators_return() {
    let mut params = BaParams::devnet();
    params.max_steps = 6;
    let mut net = Net::new(4, &[10; 4], params);
    net.start(0, Vec::new());
    net.start(1, Vec::new());
    net.run_until(30_000);
    assert!(net.nodes[0].as_ref().unwrap().period() >= 1);
    assert!(net.decisions[0].is_empty());
    // Nodes 2 and 3 come online (fresh, period 0): they jump to the
    // period the others vote in, and the round decides in it.
    net.start(2, Vec::new());
    net.start(3, Vec::new());
    net.run_until(120_000);
    net.assert_no_equivocation();
    let d = net.last_decision(0).expect("decided in a recovery period");
    assert_eq!(d.kind, DecisionKind::Final);
    assert!(d.certificate.period >= 1);
    verify_certificate(&net.ctx, &net.params, &d.certificate).unwrap();
    for i in 1..4 {
        assert_eq!(net.last_decision(i).expect("decided").value, d.value);
    }
}

#[test]
fn restarted_node_resumes_in_its_latest_recovery_period() {
    let mut params = BaParams::devnet();
    params.max_steps = 6;
    let mut net = Net::new(4, &[10; 4], params);
    net.start(0, Vec::new());
    net.start(1, Vec::new());
    net.run_until(20_000);
    let p1 = net.nodes[1].as_ref().unwrap().period();
    assert!(p1 >= 1);
    let prior = net.sent[1].clone();
    net.crash(1);
    net.start(1, prior);
    assert!(net.nodes[1].as_ref().unwrap().period() >= p1);
    net.start(2, Vec::new());
    net.run_until(100_000);
    net.assert_no_equivocation();
    let d = net.last_decision(0).expect("decided");
    for i in 1..3 {
        assert_eq!(net.last_decision(i).expect("decided").value, d.value);
    }
}

/// Feeds an observer (no keys) hand-made votes.
struct Observer {
    ks: Vec<sero_consensus::ba::ValidatorKeys>,
    ctx: sero_consensus::ba::RoundContext,
    params: BaParams,
    a: Agreement,
}

impl Observer {
    fn new() -> Self {
        let ks = keys(4);
        let ctx = context(&ks, &[1; 4], 9);
        let params = BaParams::devnet();
        let (a, out) = Agreement::new(ctx.clone(), params, None, 0, Vec::new());
        assert!(out.is_empty());
        Observer { ks, ctx, params, a }
    }
    fn vote(&mut self, who: usize, step: VoteStep, value: [u8; 32]) -> Vec<Output> {
        let vv = sign_vote(&self.ctx, &self.params, &self.ks[who], step, value)
            .unwrap()
            .unwrap();
        self.a.on_vote(vv, 1)
    }
}

fn decided(out: &[Output]) -> Vec<&sero_consensus::ba::Decision> {
    out.iter()
        .filter_map(|o| match o {
            Output::Decided(d) => Some(d),
            _ => None,
        })
        .collect()
}

#[test]
fn duplicate_votes_count_once() {
    let mut o = Observer::new();
    let x = [0x11; 32];
    for _ in 0..3 {
        assert!(o.vote(0, VoteStep::Final, x).is_empty());
        assert!(o.vote(1, VoteStep::Final, x).is_empty());
    }
    assert!(o.a.decision().is_none());
    let out = o.vote(2, VoteStep::Final, x);
    let d = decided(&out);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].kind, d[0].value), (DecisionKind::Final, x));
    assert_eq!(d[0].certificate.votes.len(), 3);
    verify_certificate(&o.ctx, &o.params, &d[0].certificate).unwrap();
}

#[test]
fn double_votes_count_the_first_only() {
    let mut o = Observer::new();
    let (x, y) = ([0x11; 32], [0x22; 32]);
    o.vote(0, VoteStep::Final, x);
    o.vote(0, VoteStep::Final, y);
    o.vote(1, VoteStep::Final, y);
    o.vote(2, VoteStep::Final, y);
    assert!(o.a.decision().is_none(), "voter 0's second vote counted");
    let out = o.vote(3, VoteStep::Final, y);
    let d = decided(&out);
    assert_eq!(d[0].value, y);
    assert!(d[0]
        .certificate
        .votes
        .iter()
        .all(|v| v.voter != o.ks[0].vote_public()));
    // First wins: with the others on x, voter 0's x counts.
    let mut o = Observer::new();
    o.vote(0, VoteStep::Final, x);
    o.vote(0, VoteStep::Final, y);
    o.vote(1, VoteStep::Final, x);
    let out = o.vote(2, VoteStep::Final, x);
    assert_eq!(decided(&out)[0].value, x);
}

#[test]
fn catch_up_from_a_deciding_step_and_upgrade_to_final() {
    let mut o = Observer::new();
    let x = [0x33; 32];
    // Binary step 4 (≡ 1 mod 3) decides a non-empty value, even though the
    // observer is still collecting proposals.
    o.vote(0, VoteStep::Binary(4), x);
    o.vote(1, VoteStep::Binary(4), x);
    let out = o.vote(2, VoteStep::Binary(4), x);
    assert!(decided(&out).is_empty(), "waits for final votes first");
    let out = o.a.on_timeout(1 + o.params.lambda_step_ms);
    let d = decided(&out);
    assert_eq!((d[0].kind, d[0].value), (DecisionKind::Tentative, x));
    assert!(
        out.contains(&Output::FetchBlock { hash: x }),
        "unseen block"
    );
    verify_certificate(&o.ctx, &o.params, &d[0].certificate).unwrap();
    // Late final votes upgrade the decision.
    o.vote(0, VoteStep::Final, x);
    o.vote(1, VoteStep::Final, x);
    let out = o.vote(3, VoteStep::Final, x);
    assert_eq!(decided(&out)[0].kind, DecisionKind::Final);
    assert_eq!(o.a.decision().unwrap().kind, DecisionKind::Final);
    // Nothing after a final decision.
    assert!(o.vote(2, VoteStep::Final, x).is_empty());
}

#[test]
fn empty_quorum_in_a_one_mod_three_step_does_not_decide() {
    let mut o = Observer::new();
    let e = o.ctx.empty_hash;
    for i in 0..4 {
        o.vote(i, VoteStep::Binary(1), e);
    }
    let out = o.a.on_timeout(1 + o.params.lambda_step_ms);
    assert!(decided(&out).is_empty());
    assert!(o.a.decision().is_none());
}

#[test]
fn votes_for_an_unseen_block_do_not_win() {
    let params = BaParams::devnet();
    let mut net = Net::new(4, &[10; 4], params);
    let byz = 3;
    let unseen = [0x99; 32];
    let honest = [0, 1, 2];
    let best = best_proposer(&net, &honest);
    for &i in &honest {
        net.start(i, Vec::new());
    }
    // The Byzantine validator votes for a block nobody has, in every step.
    let mut steps = vec![VoteStep::Reduction1, VoteStep::Reduction2, VoteStep::Final];
    steps.extend((1..=6).map(VoteStep::Binary));
    for step in steps {
        if let Some(vv) = sign_vote(&net.ctx, &params, &net.keys[byz], step, unseen).unwrap() {
            for &i in &honest {
                net.deliver(i, &Message::Vote(vv.vote().clone()));
            }
        }
    }
    net.run_until(10_000);
    for &i in &honest {
        let d = net.last_decision(i).unwrap();
        assert_eq!((d.kind, d.value), (DecisionKind::Final, block_of(best)));
        assert!(!net.fetches[i].contains(&unseen));
    }
}
