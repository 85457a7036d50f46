//! `merx events list|relay`: the outbox, and delivering it to webhooks or the log from the
//! command line (a cron job, or catching up after an outage) with the relay `merx serve` runs.

use std::time::Duration;

use merx_core::event::OutboxEvent;
use merx_runtime::notify::{leased_relay, run_relays};
use merx_runtime::shutdown_signal;
use serde::Serialize;

use super::Context;
use crate::cli::EventsCommand;
use crate::error::{CliError, Result};
use crate::output;

fn print_events(events: &[OutboxEvent]) {
    let mut table = output::table(&["sequence", "occurred", "type", "id", "payload"]);
    for event in events {
        let mut payload = serde_json::to_value(&event.payload).unwrap_or_default();
        if let Some(object) = payload.as_object_mut() {
            object.remove("type");
        }
        table.add_row(vec![
            event.sequence.to_string(),
            event.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            event.payload.kind().to_string(),
            event.id.to_string(),
            payload.to_string(),
        ]);
    }
    println!("{table}");
}

/// What `merx --json events list` prints: the events and how many match after `--after`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventListing {
    /// Events after `after` of the listed types, over all windows.
    total: u64,
    after: u64,
    limit: u32,
    data: Vec<OutboxEvent>,
}

/// Events after `after` of `kinds` (any when empty), walked in large windows: the store's
/// filtered query, so a rare type costs as little to count as to list.
async fn count_events(ctx: &Context, mut after: u64, kinds: &[String]) -> Result<u64> {
    const CHUNK: u32 = 5000;
    let mut total = 0;
    loop {
        let chunk = ctx.store.find_events(after, kinds, CHUNK).await?;
        total += chunk.len() as u64;
        match chunk.last() {
            Some(last) if chunk.len() as u32 == CHUNK => after = last.sequence,
            _ => return Ok(total),
        }
    }
}

/// Runs a `merx events` command.
pub async fn run(ctx: &Context, command: &EventsCommand) -> Result<()> {
    match command {
        EventsCommand::List {
            after,
            limit,
            kinds,
        } => {
            let mut events = ctx.store.find_events(*after, kinds, *limit).await?;
            // A listing is for looking, not for mailing: reset tokens stay in the outbox.
            for event in &mut events {
                event.payload = event.payload.redacted();
            }
            let total = if (events.len() as u32) < *limit {
                events.len() as u64
            } else {
                count_events(ctx, *after, kinds).await?
            };
            if ctx.json {
                return output::print_json(&EventListing {
                    total,
                    after: *after,
                    limit: *limit,
                    data: events,
                });
            }
            print_events(&events);
            let more = match events.last() {
                Some(last) => format!("(--limit, --after {})", last.sequence),
                None => "(--limit, --after)".into(),
            };
            eprintln!("{}", output::showing(events.len(), total, 0, &more));
            Ok(())
        }
        EventsCommand::Relay {
            notifiers,
            once,
            interval_ms,
        } => {
            let notifiers = notifiers
                .notifiers()
                .await
                .map_err(crate::error::runtime_error)?;
            if notifiers.is_empty() {
                return Err(CliError::Input(
                    "nothing to deliver to: give --webhook-url (with --webhook-secret), --nats-url or --log-events"
                        .into(),
                ));
            }
            if !*once {
                run_relays(
                    ctx.store.clone(),
                    notifiers,
                    Duration::from_millis(*interval_ms),
                    shutdown_signal(),
                )
                .await;
                return Ok(());
            }
            let relay = leased_relay(ctx.store.clone(), notifiers, Duration::from_secs(120));
            let reports = relay.run_once().await;
            relay.release_leases().await?;
            let reports = reports?;
            let stalled = reports.iter().any(|r| r.stalled);
            if ctx.json {
                output::print_json(&reports)?;
            } else {
                for r in reports.iter().filter(|r| r.held_elsewhere) {
                    println!(
                        "{}: another process is delivering to it; nothing sent",
                        r.consumer
                    );
                }
                for r in reports.iter().filter(|r| !r.held_elsewhere) {
                    println!(
                        "{}: {} delivered, {} skipped, {} dropped, cursor {}{}",
                        r.consumer,
                        r.delivered,
                        r.skipped,
                        r.dropped,
                        r.cursor,
                        r.error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    );
                }
            }
            if stalled {
                let first = reports
                    .iter()
                    .find(|r| r.stalled)
                    .map(|r| r.consumer.clone());
                return Err(CliError::Runtime(format!(
                    "delivery to {} stopped on a failure; the next run starts there",
                    first.unwrap_or_default()
                )));
            }
            Ok(())
        }
    }
}
