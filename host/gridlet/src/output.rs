//! What operator commands print that more than one command group shares.

use api::wire::{PricingView, TransactionView};

/// `text`, or `-` when there is none.
pub(crate) fn or_dash(text: Option<&str>) -> &str {
    text.unwrap_or("-")
}

/// A transaction's price in a few characters: `12.34 EUR`, `unpriced`,
/// or `-` (not priced: running, or no tariff applied).
pub(crate) fn price_summary(tx: &TransactionView) -> String {
    match &tx.pricing {
        Some(PricingView { total: Some(total), currency: Some(currency), .. }) => format!("{total} {currency}"),
        Some(_) => "unpriced".to_owned(),
        None => "-".to_owned(),
    }
}

/// Prints a transaction's pricing and running cost, if it has them.
pub(crate) fn print_pricing(tx: &TransactionView) {
    if let Some(cost) = &tx.running_cost {
        println!("running cost   {} {} (at {})", cost.total, cost.currency, cost.at);
    }
    match &tx.pricing {
        None => println!("price          -"),
        Some(PricingView { state, reason: Some(reason), plugin_id, at, .. }) if state == "unpriced" => {
            println!("price          unpriced: {reason} (tariff {}, at {at})", or_dash(plugin_id.as_deref()));
        }
        Some(pricing) => {
            println!("price          {} {}", or_dash(pricing.total.as_deref()), or_dash(pricing.currency.as_deref()));
            if let Some(by) = &pricing.priced_by {
                println!("priced by      {} {} {} (at {})", by.plugin_id, by.version, by.hash, pricing.at);
            }
            for line in &pricing.lines {
                println!("  {:<9} {:>12} {:<8} {:>10}  {}", line.kind, line.quantity, line.unit, line.amount, line.description);
            }
        }
    }
}
