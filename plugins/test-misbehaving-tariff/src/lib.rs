//! A tariff that misbehaves on purpose, chosen by its configuration's
//! `behaviour`, so the host's limits and checks can be tested against a
//! real component: `loop`, `panic`, `allocate`, `stack`, `inconsistent`,
//! `negative`, `bad-currency`, `oversized`, `exit`, `refuse`, and
//! `well-behaved` (a fixed, valid price of 1.00 in the session's currency).
//! `panic` spares sessions whose id is `spare-me`.

use gridlet_sdk::prelude::*;
use serde::Deserialize;

/// The configuration: which misbehaviour.
#[derive(Debug, Deserialize)]
pub struct Config {
    behaviour: String,
}

/// The misbehaving tariff.
pub struct Misbehaving {
    behaviour: String,
}

const BEHAVIOURS: &[&str] = &[
    "well-behaved",
    "loop",
    "panic",
    "allocate",
    "stack",
    "inconsistent",
    "negative",
    "bad-currency",
    "oversized",
    "exit",
    "refuse",
];

#[inline(never)]
#[allow(unconditional_recursion)] // the point: recursion without end
fn recurse(depth: u64) -> u64 {
    // Each frame keeps a value live across the call so it cannot be a loop.
    std::hint::black_box(depth).wrapping_add(recurse(std::hint::black_box(depth + 1)))
}

impl Tariff for Misbehaving {
    type Config = Config;

    fn new(config: Config) -> Result<Self, PluginError> {
        if !BEHAVIOURS.contains(&config.behaviour.as_str()) {
            return Err(PluginError::invalid_config(format!(
                "unknown behaviour {:?}",
                config.behaviour
            )));
        }
        Ok(Self {
            behaviour: config.behaviour,
        })
    }

    fn price(&self, session: &SessionFacts) -> Result<Price, PluginError> {
        let currency = session.currency.unwrap_or(Currency::new("EUR")?);
        let line = |amount| LineItem::new(LineKind::Flat, "test", 1000, "session", amount);
        let fixed = |lines: Vec<LineItem>, total| Price {
            currency,
            total_minor: total,
            lines,
        };
        match self.behaviour.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "panic" if session.session_id != "spare-me" => {
                panic!("deliberate panic in session {}", session.session_id)
            }
            "allocate" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "stack" => Ok(fixed(
                vec![line(i64::try_from(recurse(0) % 7).unwrap_or(0))],
                0,
            )),
            "inconsistent" => Ok(fixed(vec![line(100), line(50)], 999)),
            "negative" => Ok(fixed(vec![line(-100)], -100)),
            "bad-currency" => Ok(Price {
                currency: Currency::new("XXX")?,
                ..fixed(vec![line(100)], 100)
            }),
            "oversized" => Ok(fixed((0..10_000).map(|_| line(0)).collect(), 0)),
            "exit" => std::process::exit(3),
            "refuse" => Err(PluginError::invalid_input(
                "this tariff refuses every session",
            )),
            _ => Ok(fixed(vec![line(100)], 100)),
        }
    }
}

gridlet_sdk::register_tariff!(Misbehaving);
