//! The safety checks, as a pure function of what the nodes hold.

use sero_consensus::ba::DecisionKind;
use std::collections::{BTreeMap, BTreeSet};

/// What one node holds at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    /// Whether the node is honest (only honest nodes are checked).
    pub honest: bool,
    /// Its chain: the decided value and kind of rounds 1, 2, …
    pub chain: Vec<([u8; 32], DecisionKind)>,
    /// Its highest final round; every round up to it is settled (a final
    /// block commits its ancestors).
    pub final_height: u64,
}

fn short(v: &[u8; 32]) -> String {
    v[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// SAFETY: no two honest nodes finalised different values at one round
/// (`final_log` holds every final value an honest node ever recorded:
/// `(round, value, node)`, so a rolled-back final block counts too); no two
/// honest nodes' settled prefixes differ; and every honest node's value
/// (tentative included) at a round where some honest node is final equals
/// the final value. Returns one line per violation.
pub fn check_safety(views: &[NodeView], final_log: &[(u64, [u8; 32], usize)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut finals: BTreeMap<u64, BTreeSet<[u8; 32]>> = BTreeMap::new();
    for &(r, v, _) in final_log {
        finals.entry(r).or_default().insert(v);
    }
    for (i, n) in views.iter().enumerate().filter(|(_, n)| n.honest) {
        for (r, (v, _)) in n.chain.iter().enumerate().take(n.final_height as usize) {
            finals.entry(r as u64 + 1).or_default().insert(*v);
            let _ = i;
        }
    }
    for (r, vs) in &finals {
        if vs.len() > 1 {
            let list: Vec<String> = vs.iter().map(short).collect();
            out.push(format!(
                "round {r}: honest nodes finalised different values {}",
                list.join(" ")
            ));
        }
    }
    for (i, n) in views.iter().enumerate().filter(|(_, n)| n.honest) {
        for (r, (v, kind)) in n.chain.iter().enumerate() {
            let round = r as u64 + 1;
            if let Some(vs) = finals.get(&round) {
                if vs.len() == 1 && !vs.contains(v) {
                    out.push(format!(
                        "node {i}: round {round} holds {} ({kind:?}) but {} is final",
                        short(v),
                        short(vs.iter().next().expect("one value"))
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(values: &[u8], final_height: u64) -> NodeView {
        NodeView {
            honest: true,
            chain: values
                .iter()
                .enumerate()
                .map(|(r, &b)| {
                    let kind = if (r as u64) < final_height {
                        DecisionKind::Final
                    } else {
                        DecisionKind::Tentative
                    };
                    ([b; 32], kind)
                })
                .collect(),
            final_height,
        }
    }

    #[test]
    fn agreeing_chains_pass() {
        let v = [view(&[1, 2, 3], 3), view(&[1, 2, 3], 2), view(&[1, 2], 2)];
        assert!(check_safety(&v, &[]).is_empty());
    }

    #[test]
    fn conflicting_finals_are_reported() {
        let v = [view(&[1, 2, 3], 3), view(&[1, 9, 3], 3)];
        let out = check_safety(&v, &[]);
        assert!(out.iter().any(|l| l.starts_with("round 2:")), "{out:?}");
    }

    #[test]
    fn a_tentative_value_against_a_final_one_is_reported() {
        let v = [view(&[1, 2, 3], 3), view(&[1, 2, 4], 2)];
        assert_eq!(check_safety(&v, &[]).len(), 1);
    }

    #[test]
    fn a_rolled_back_final_counts() {
        let v = [view(&[1, 2], 2), view(&[1, 2], 2)];
        let log = [(2, [2; 32], 0), (2, [7; 32], 1)];
        assert_eq!(check_safety(&v, &log).len(), 1);
    }

    #[test]
    fn byzantine_nodes_are_not_checked() {
        let mut bad = view(&[5, 5], 2);
        bad.honest = false;
        let v = [view(&[1, 2], 2), bad];
        assert!(check_safety(&v, &[]).is_empty());
    }
}
